import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config/load-config.js';

/** Connects a Temporal client; close it with `client.connection.close()`. */
export async function connectTemporalClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.address });
  return new Client({ connection, namespace: config.namespace });
}
