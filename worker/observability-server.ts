import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyncMetrics } from '../metrics/sync-metrics.js';

export interface ReadinessReport {
  ready: boolean;
  /** Each dependency's state, e.g. { postgres: 'ok', temporal: 'unreachable: …' }. */
  checks: Record<string, string>;
}

export interface ObservabilityServerOptions {
  host: string;
  port: number;
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
 * same bind address.
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
  try {
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
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
  }
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
