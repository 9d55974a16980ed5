import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { TestCertificates } from './test-certificates.js';

/** A TLS front before the Temporal dev server, which has no TLS of its own. */
export interface TemporalFront {
  /** `127.0.0.1:port`; its certificate names `localhost` and 127.0.0.1. */
  address: string;
  close(): Promise<void>;
}

/**
 * Temporal with mTLS: a TLS server that asks for a client certificate signed
 * by the test CA, refuses every other, and pipes the decrypted bytes to the
 * dev server. ALPN h2 because the SDK's Rust core refuses TLS without it.
 */
export async function startMtlsFront(target: string, certs: TestCertificates): Promise<TemporalFront> {
  const server = tls.createServer(
    { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      const upstream = net.connect(portOf(target), hostOf(target));
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => {});
  return listen(server);
}

export interface ApiKeyFrontOptions {
  apiKey: string;
  /** Temporal Cloud refuses OperatorService.AddSearchAttributes: its search attributes are added in its UI, tcld or the Cloud Ops API. */
  refuseSearchAttributeRegistration?: boolean;
  /** Attributes the namespace pretends to have (Cloud's listing shows what an admin added). */
  registeredSearchAttributes?: Record<string, number>;
}

/** What the API key front saw, for assertions on what was asked. */
export interface ApiKeyFront extends TemporalFront {
  calls: string[];
}

/**
 * Temporal with API keys over TLS, as Temporal Cloud: an HTTP/2 TLS server
 * that answers UNAUTHENTICATED (grpc-status 16) unless `authorization:
 * Bearer <key>`, and otherwise proxies each gRPC call to the dev server over h2c.
 */
export async function startApiKeyFront(target: string, certs: TestCertificates, options: ApiKeyFrontOptions): Promise<ApiKeyFront> {
  const upstream = http2.connect(`http://${target}`);
  upstream.on('error', () => {});
  const calls: string[] = [];
  const server = http2.createSecureServer({ key: certs.server.key, cert: certs.server.cert, allowHTTP1: false });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    calls.push(path);
    stream.on('error', () => {});
    if (headers.authorization !== `Bearer ${options.apiKey}`) return grpcError(stream, 16, 'Request unauthorized');
    if (options.refuseSearchAttributeRegistration && path.endsWith('/AddSearchAttributes')) {
      return grpcError(stream, 7, 'Request unauthorized');
    }
    proxy(stream, headers, upstream);
  });
  server.on('sessionError', () => {});
  const front = await listen(server);
  return {
    ...front,
    calls,
    async close() {
      upstream.close();
      await front.close();
    },
  };
}

/** A trailers-only gRPC answer, as a real server sends a refusal. */
function grpcError(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': message }, { endStream: true });
}

function proxy(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, upstream: http2.ClientHttp2Session): void {
  const forwarded: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && name !== 'authorization') forwarded[name] = value;
  }
  const request = upstream.request({ ...forwarded, ':method': 'POST', ':path': headers[':path'] });
  request.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  stream.pipe(request);
  request.on('response', (responseHeaders) => {
    if (stream.destroyed) return request.close();
    const answer: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(responseHeaders)) if (name !== ':status') answer[name] = value;
    const trailersOnly = responseHeaders['grpc-status'] !== undefined;
    stream.respond({ ':status': responseHeaders[':status'], ...answer }, trailersOnly ? { endStream: true } : { waitForTrailers: true });
    if (trailersOnly) return;
    let trailers: http2.OutgoingHttpHeaders = {};
    request.on('trailers', (received) => (trailers = stripPseudo(received)));
    stream.on('wantTrailers', () => !stream.destroyed && stream.sendTrailers(trailers));
    request.pipe(stream);
  });
}

function stripPseudo(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));
}

async function listen(server: net.Server): Promise<TemporalFront> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}
