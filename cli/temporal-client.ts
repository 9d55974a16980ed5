import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config/load-config.js';

/** Connects a Temporal client; close it with `client.connection.close()`. */
export async function connectTemporalClient(config: TemporalConfig): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.address });
    return new Client({ connection, namespace: config.namespace });
  } catch (error) {
    throw new Error(`cannot reach Temporal at ${config.address} (TEMPORAL_ADDRESS); is the address right and the server up?`, { cause: error });
  }
}
