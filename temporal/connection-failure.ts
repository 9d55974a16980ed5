import { scrubSecrets } from '../config/secret.js';
import type { ProbeOutcome } from './connection-probe.js';
import type { TemporalConnectionSettings } from './temporal-settings.js';

/**
 * A connection to Temporal that cannot work as configured. Its message is
 * the whole story in one line, naming the setting to change; what the SDK
 * said is kept as `detail` for the debug log, not as a `cause` that
 * operatorMessage would append (rustls internals, 'Failed to connect before the deadline').
 */
export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';

  constructor(
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

/** Certificate chain codes (OpenSSL's, as Node reports them) that mean: signed by no CA this client trusts. */
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

/** Says in one line what a failed probe means and what to change. */
export function describeProbeFailure(outcome: Exclude<ProbeOutcome, { kind: 'ok' }>, settings: TemporalConnectionSettings): string {
  const at = `Temporal at ${settings.address}`;
  const { names } = settings;
  switch (outcome.kind) {
    case 'unreachable':
      return `cannot reach ${at} (${names.address}): ${outcome.reason}; is the address right and the server up?`;
    case 'server-plaintext':
      return `${at} answered in plaintext, but the settings ask for TLS (${whyTls(settings)}): set TEMPORAL_TLS=false for a server without TLS, or check ${names.address}`;
    case 'server-tls':
      return `${at} speaks TLS, but the settings connect in plaintext: set TEMPORAL_TLS=true, with TEMPORAL_API_KEY or a client certificate as the server requires`;
    case 'closed-after-handshake':
      return settings.usesClientCertificate
        ? `${at} refused the client certificate from ${names.clientCert} (${outcome.reason}): it must be signed by a CA the server trusts for clients, and be unexpired`
        : `${at} requires a client certificate (mTLS; ${outcome.reason}): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`;
    case 'tls-error':
      return describeTlsError(outcome.code, outcome.reason, settings);
  }
}

function describeTlsError(code: string, reason: string, settings: TemporalConnectionSettings): string {
  const at = `Temporal at ${settings.address}`;
  const { names } = settings;
  if (UNTRUSTED.has(code)) {
    return settings.tls?.serverRootCACertificate !== undefined
      ? `${at} presented a certificate not signed by the CA in ${names.serverCa} (${reason})`
      : `${at} presented a certificate this machine does not trust (${reason}): set ${names.serverCa} to the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const presented = /cert's altnames: (.*)$/.exec(reason)?.[1];
    return `${at} presented a certificate for other names${presented ? ` (${presented})` : ''}: set ${names.serverName} to one of them, or connect by a name it holds`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `${at} presented an expired certificate (${reason})`;
  return `TLS with ${at} failed (${code}: ${reason}); check ${names.serverCa}, ${names.serverName} and ${names.clientCert}`;
}

function whyTls(settings: TemporalConnectionSettings): string {
  if (settings.usesApiKey && !settings.usesClientCertificate) return `an API key (${settings.names.apiKey}) turns TLS on unless TEMPORAL_TLS=false`;
  return 'TEMPORAL_TLS or a TLS setting';
}

/** The gRPC status code of a failed call, from either SDK connection (the Rust core's errors carry it only in words). */
export function grpcCode(error: unknown): number | undefined {
  const coded = (value: unknown) => (typeof (value as { code?: unknown })?.code === 'number' ? (value as { code: number }).code : undefined);
  const code = coded(error) ?? coded((error as { cause?: unknown })?.cause);
  if (code !== undefined) return code;
  const text = error instanceof Error ? error.message : String(error);
  if (/valid authentication credentials|UNAUTHENTICATED/.test(text)) return 16;
  if (/permission|PERMISSION_DENIED/i.test(text)) return 7;
  return undefined;
}

/** Says in one line why a call refused after the connection was made: the API key, the namespace, or what Temporal said. */
export function describeCallFailure(error: unknown, settings: TemporalConnectionSettings): string {
  const at = `Temporal at ${settings.address}`;
  const said = scrubSecrets(causeText(error));
  const code = grpcCode(error);
  if (code === 16 || code === 7) {
    if (!settings.usesApiKey) return `${at} requires authentication (${said}): set TEMPORAL_API_KEY, or a client certificate`;
    return `${at} refused the API key ${settings.apiKeyShown} from ${settings.names.apiKey} (${said}): check that the key is current and may use namespace ${settings.namespace}`;
  }
  if (code === 5) return `namespace ${settings.namespace} does not exist on ${at} (${settings.names.namespace}); a Temporal Cloud namespace is named <namespace>.<account>`;
  return `cannot use ${at} (${settings.names.address}): ${said}`;
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const text = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').trim();
}
