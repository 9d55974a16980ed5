import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { grpcCode, TemporalConnectionError } from './connection-failure.js';

// @temporalio/proto is CommonJS: its namespace comes through the default export under ESM.
const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

/** PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED: what Temporal Cloud answers to the operator service's AddSearchAttributes. */
const REFUSED = new Set([7, 12, 16]);

/**
 * Registers session-sync's search attributes on the namespace if missing,
 * so workflows can carry them and operators can filter by site and kind.
 * Where they exist, nothing is asked. Temporal Cloud refuses registration
 * through the operator service; then this stops with one line saying
 * which attributes to add and how. Called before anything starts workflows.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const operator = client.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !(customAttributes && name in customAttributes));
  if (missing.length === 0) return;
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
  } catch (error) {
    if (!REFUSED.has(grpcCode(error) ?? -1)) throw error;
    throw new TemporalConnectionError(missingAttributesMessage(namespace, missing), error);
  }
}

function missingAttributesMessage(namespace: string, missing: string[]): string {
  const listed = missing.map((name) => `${name} (Keyword)`).join(', ');
  const flags = missing.map((name) => `--search-attribute ${name}=Keyword`).join(' ');
  return `namespace ${namespace} lacks session-sync's search attributes ${listed}, and Temporal refused to add them: on Temporal Cloud add them in the namespace's settings in its UI, with \`tcld namespace search-attributes add --namespace ${namespace} ${flags}\`, or with the Cloud Ops API, then start again`;
}
