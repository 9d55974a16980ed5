import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger.js';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

export interface RuntimeOptions {
  /** Where Temporal's core serves its Prometheus metrics (host:port), folded into the worker's /metrics. */
  metricsBindAddress?: string;
}

/**
 * Sends the Temporal SDK's and core's logs through our pino logger, so one
 * stream of JSON carries everything, and turns on core's Prometheus metrics
 * when asked. Runtime.install may run once per process, before any worker or
 * connection; later calls are no-ops.
 */
export function installTemporalRuntime(log: Logger, options: RuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  const temporalLog = log.child({ module: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      temporalLog[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
      ...(options.metricsBindAddress ? { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } : {}),
    },
  });
}
