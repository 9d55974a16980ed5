import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { probeTemporal, type ProbeTarget } from './connection-probe.js';
import { describeCallFailure, describeProbeFailure, TemporalConnectionError } from './connection-failure.js';
import { dropIpServerNameWarning } from './ip-server-name-warning.js';
import type { TemporalConnectionSettings } from './temporal-settings.js';

/** Temporal's default frontend port, as its CLI assumes for an address without one. */
const DEFAULT_PORT = 7233;

/**
 * Connects a Temporal client (the CLI, the MCP server, schedule activities,
 * the status page) with Temporal's standard settings. Fails with a
 * TemporalConnectionError whose one line names the setting to change.
 * Close it with `client.connection.close()`.
 *
 * @example const client = await connectTemporalClient(config.temporal.connection)
 */
export async function connectTemporalClient(settings: TemporalConnectionSettings): Promise<Client> {
  await probe(settings);
  const connection = await attempt(settings, () => Connection.connect(settings.connectionOptions()));
  await checkNamespace(settings, () => connection.workflowService.describeNamespace({ namespace: settings.namespace }), () => connection.close());
  return new Client({ connection, namespace: settings.namespace });
}

/** The worker's connection (the SDK's Rust core), checked the same way. */
export async function connectTemporalWorker(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  await probe(settings);
  const connection = await attempt(settings, () => NativeConnection.connect(settings.connectionOptions()));
  await checkNamespace(settings, () => connection.workflowService.describeNamespace({ namespace: settings.namespace }), () => connection.close());
  return connection;
}

/** One HTTP/2 handshake first: the SDK's own errors for TLS problems say nothing an operator can act on. */
async function probe(settings: TemporalConnectionSettings): Promise<void> {
  if (settings.usesTls && net.isIP(splitAddress(settings.address).host)) dropIpServerNameWarning();
  const outcome = await probeTemporal(probeTarget(settings));
  if (outcome.kind !== 'ok') throw new TemporalConnectionError(describeProbeFailure(outcome, settings));
}

async function attempt<T>(settings: TemporalConnectionSettings, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new TemporalConnectionError(describeCallFailure(error, settings), error);
  }
}

/** A namespace that does not exist fails here, once, instead of at every later call. */
async function checkNamespace(settings: TemporalConnectionSettings, describe: () => Promise<unknown>, close: () => Promise<void>): Promise<void> {
  try {
    await describe();
  } catch (error) {
    await close().catch(() => {});
    throw new TemporalConnectionError(describeCallFailure(error, settings), error);
  }
}

function probeTarget(settings: TemporalConnectionSettings): ProbeTarget {
  const { host, port } = splitAddress(settings.address);
  const { tls } = settings;
  if (tls === undefined) return { host, port };
  return {
    host,
    port,
    tls: {
      ...(tls.serverRootCACertificate ? { ca: tls.serverRootCACertificate } : {}),
      ...(tls.clientCertPair ? { cert: tls.clientCertPair.crt, key: tls.clientCertPair.key } : {}),
      ...(tls.serverNameOverride ? { servername: tls.serverNameOverride } : {}),
    },
  };
}

/** `host:port`, `[v6]:port` or a bare host. */
export function splitAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? DEFAULT_PORT) };
  const colon = address.lastIndexOf(':');
  if (colon === -1 || net.isIPv6(address)) return { host: address, port: DEFAULT_PORT };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}
