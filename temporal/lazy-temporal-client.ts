import type { Client } from '@temporalio/client';
import { connectTemporalClient } from './connect-temporal.js';
import type { TemporalConnectionSettings } from './temporal-settings.js';

/** A Temporal client connected on first use; a failed connection is not kept, so the next use tries again. */
export interface LazyTemporalClient {
  get(): Promise<Client>;
  close(): Promise<void>;
}

/**
 * For what needs Temporal only now and then (pausing a schedule from an
 * activity, the MCP server's operator tool): most processes never connect.
 *
 * @example const temporal = lazyTemporalClient(config.temporal.connection); await (await temporal.get()).schedule.list()
 */
export function lazyTemporalClient(settings: TemporalConnectionSettings): LazyTemporalClient {
  let client: Promise<Client> | undefined;
  return {
    get: () =>
      (client ??= connectTemporalClient(settings).catch((error: unknown) => {
        client = undefined;
        throw error;
      })),
    async close() {
      if (client) await (await client).connection.close();
    },
  };
}
