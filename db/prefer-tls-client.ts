import net from 'node:net';
import pg from 'pg';

type ConnectCallback = Parameters<pg.Client['connect']>[0] & object;

/** Postgres's SSLRequest: length 8, then the code 1234 5679. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);
const PROBE_TIMEOUT_MS = 10_000;

/**
 * libpq's `sslmode=prefer`: TLS (unverified) when the server offers it,
 * plaintext when it does not. pg has no fallback of its own (it fails with
 * "The server does not support SSL connections"), so each new connection
 * first asks the server, with the SSLRequest Postgres itself answers 'S' or 'N'.
 */
export class PreferTlsClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
    const decided = this.decideTls();
    if (!callback) return decided.then(() => super.connect());
    decided.then(
      () => super.connect(callback),
      (error: Error) => (callback as (err: Error) => void)(error),
    );
  }

  private async decideTls(): Promise<void> {
    const self = this as unknown as { host: string; port: number; ssl: unknown; connection: { ssl: unknown } };
    if (self.host.startsWith('/')) return;
    if (await offersTls(self.host, self.port)) return;
    self.ssl = false;
    self.connection.ssl = false;
  }
}

function offersTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(SSL_REQUEST));
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('timeout expired'), { code: 'ETIMEDOUT' })));
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk[0] === 0x53);
    });
    socket.once('error', reject);
  });
}
