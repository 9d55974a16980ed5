import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { newErrorId } from '../logging/error-id.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';

export interface ReadinessReport {
  ready: boolean;
  /** Each dependency's state, e.g. { postgres: 'ok', temporal: 'unreachable: …' }. */
  checks: Record<string, string>;
}

export interface ObservabilityServerOptions {
  host: string;
  port: number;
  /** Host names a request may name besides IP addresses and localhost (DNS-rebinding protection). */
  allowedHosts: readonly string[];
  log: Logger;
  metrics: SyncMetrics;
  /** Temporal core's own Prometheus endpoint, appended to /metrics; null when off. */
  temporalMetricsUrl: string | null;
  readiness: () => Promise<ReadinessReport>;
  /** The status page's HTML (status-page/), served at /status; absent: no page. */
  statusPage?: () => Promise<string>;
}

export interface ObservabilityServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's HTTP endpoints for monitoring: `/metrics` (the product's
 * metrics plus Temporal's runtime metrics, one scrape target), `/healthz`
 * (the process answers), `/readyz` (Postgres and Temporal reachable, the
 * worker polling) and `/status`, a page for people. All read-only, on the
 * same bind address (127.0.0.1 unless METRICS_HOST says otherwise), for
 * Hosts that are addresses, localhost or in METRICS_ALLOWED_HOSTS.
 */
export async function startObservabilityServer(options: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const server = createServer((req, res) => void route(options, req, res));
  await new Promise<void>((resolve, reject) => {
    // A port in use fails the start with a reason, instead of an 'error' event nobody hears.
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot serve /metrics on ${options.host}:${options.port} (METRICS_PORT, METRICS_HOST): ${error.code ?? error.message}; is another process using that port?`)));
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function route(options: ObservabilityServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  res.setHeader('x-content-type-options', 'nosniff');
  try {
    if (!hostAllowed(req.headers.host, options.allowedHosts)) {
      options.log.warn({ address: req.socket.remoteAddress, host: req.headers.host ?? null, path }, 'metrics port request refused: Host not allowed');
      res.writeHead(403, { 'content-type': 'text/plain' }).end('this Host is not allowed: add its name to METRICS_ALLOWED_HOSTS\n');
      return;
    }
    if (path === '/metrics') {
      const own = await options.metrics.registry.metrics();
      const temporal = options.temporalMetricsUrl ? await fetchText(options.temporalMetricsUrl) : '';
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(`${own}\n${temporal}`);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const report = await options.readiness();
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(report)}\n`);
    } else if (path === '/status' && options.statusPage) {
      const html = await options.statusPage();
      // No script runs on the page, nothing loads from elsewhere, no other site may frame it.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", 'cache-control': 'no-store' }).end(html);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /status, /metrics, /healthz or /readyz\n');
    }
  } catch (error) {
    // Whoever asked may be anyone on the network: they get an id, the log gets the details.
    const errorId = newErrorId();
    options.log.error({ err: error, errorId, path }, 'metrics port request failed');
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error (error id ${errorId}); the worker log has the details\n`);
  }
}

/**
 * A browser tricked by DNS rebinding sends the attacker's name as Host; a
 * scraper, a probe or a person on the pod sends an IP address or localhost.
 * Those pass, and the names an operator lists.
 */
function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isIP(name) !== 0 || name === 'localhost' || allowed.includes(name.toLowerCase());
}

/** Temporal's metrics are a bonus: when its exporter is not up yet, /metrics still answers. */
async function fetchText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? await response.text() : '';
  } catch {
    return '';
  }
}
