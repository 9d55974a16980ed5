import net from 'node:net';
import tls from 'node:tls';

/** What an HTTP/2 handshake with Temporal's address showed, before any gRPC call. */
export type ProbeOutcome =
  | { kind: 'ok' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'tls-error'; code: string; reason: string }
  /** TLS set up, then the server hung up or sent an alert: it refused or wanted a client certificate. */
  | { kind: 'closed-after-handshake'; reason: string }
  /** The settings ask for TLS; the server answered in plaintext. */
  | { kind: 'server-plaintext' }
  /** The settings ask for plaintext; the server speaks TLS. */
  | { kind: 'server-tls' };

export interface ProbeTarget {
  host: string;
  port: number;
  /** Absent: plaintext. */
  tls?: { ca?: Uint8Array; cert?: Uint8Array; key?: Uint8Array; servername?: string };
}

const PROBE_TIMEOUT_MS = 5_000;
/** The HTTP/2 client preface and an empty SETTINGS frame: what a gRPC client sends first. */
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
const TLS_ALERT_RECORD = 0x15;
const TLS_HANDSHAKE_RECORD = 0x16;
const H2_SETTINGS_FRAME = 4;

/**
 * Opens one HTTP/2 connection the way the SDK would and says what went
 * wrong in terms an operator can act on. The SDK itself does not: its
 * TypeScript client only says "Failed to connect before the deadline" after
 * 10 s for every TLS problem, and its Rust core prints rustls internals.
 */
export async function probeTemporal(target: ProbeTarget): Promise<ProbeOutcome> {
  return target.tls ? probeTls(target, target.tls) : probePlaintext(target);
}

function probeTls(target: ProbeTarget, options: NonNullable<ProbeTarget['tls']>): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let secured = false;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      ...(options.ca ? { ca: Buffer.from(options.ca) } : {}),
      ...(options.cert ? { cert: Buffer.from(options.cert) } : {}),
      ...(options.key ? { key: Buffer.from(options.key) } : {}),
      servername: options.servername ?? (net.isIP(target.host) ? undefined : target.host),
      ALPNProtocols: ['h2'],
    });
    const finish = settle<ProbeOutcome>(socket, resolve, NO_ANSWER);
    socket.on('secureConnect', () => {
      secured = true;
      socket.write(H2_PREFACE);
    });
    socket.on('data', (chunk: Buffer) => finish(chunk[3] === H2_SETTINGS_FRAME ? { kind: 'ok' } : { kind: 'closed-after-handshake', reason: 'the server did not answer with HTTP/2' }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'unknown';
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return finish({ kind: 'server-plaintext' });
      if (!secured && isNetworkError(code)) return finish({ kind: 'unreachable', reason: code });
      if (secured || code.includes('ALERT')) return finish({ kind: 'closed-after-handshake', reason: code });
      finish({ kind: 'tls-error', code, reason: firstLine(error.message) });
    });
    socket.on('close', () => finish(secured ? { kind: 'closed-after-handshake', reason: 'closed' } : { kind: 'server-plaintext' }));
  });
}

async function probePlaintext(target: ProbeTarget): Promise<ProbeOutcome> {
  const first = await new Promise<ProbeOutcome | 'closed'>((resolve) => {
    const socket = net.connect(target.port, target.host);
    const finish = settle<ProbeOutcome | 'closed'>(socket, resolve, NO_ANSWER);
    socket.on('connect', () => socket.write(H2_PREFACE));
    socket.on('data', (chunk: Buffer) => {
      if (chunk[3] === H2_SETTINGS_FRAME) return finish({ kind: 'ok' });
      finish(chunk[0] === TLS_ALERT_RECORD || chunk[0] === TLS_HANDSHAKE_RECORD ? { kind: 'server-tls' } : 'closed');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNRESET' ? 'closed' : { kind: 'unreachable', reason: error.code ?? error.message }));
    socket.on('close', () => finish('closed'));
  });
  if (first !== 'closed') return first;
  // A TLS server may hang up on plaintext without a word: ask it for a handshake.
  return (await speaksTls(target)) ? { kind: 'server-tls' } : { kind: 'unreachable', reason: 'the server closed the connection' };
}

function speaksTls(target: ProbeTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const finish = settle<boolean>(socket, resolve, false);
    socket.on('secureConnect', () => finish(true));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

const NO_ANSWER: ProbeOutcome = { kind: 'unreachable', reason: `no answer within ${PROBE_TIMEOUT_MS / 1000} s` };

/** Resolves once, on the first outcome or `onTimeout` after the timeout, and closes the socket. */
function settle<T>(socket: net.Socket, resolve: (value: T) => void, onTimeout: T): (value: T) => void {
  let done = false;
  const timer = setTimeout(() => finish(onTimeout), PROBE_TIMEOUT_MS);
  function finish(value: T) {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    resolve(value);
  }
  return finish;
}

function isNetworkError(code: string): boolean {
  return ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'].includes(code);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
