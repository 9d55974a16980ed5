import { inspect } from 'node:util';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { Secret } from '../config/secret.js';
import { temporalConfigFile, type TemporalConfigFile } from './temporal-config-file.js';

type Env = Record<string, string | undefined>;

/**
 * How to reach Temporal, read the way Temporal's own CLI and SDKs read it
 * (@temporalio/envconfig): a `temporal.toml` profile, overridden by the
 * `TEMPORAL_*` variables the Temporal Worker Controller injects into pods.
 * Holds the API key and the client key: shows neither when logged or
 * serialised, only how TLS and authentication are set up.
 */
export class TemporalConnectionSettings {
  readonly #tls: TLSConfig | undefined;
  readonly #apiKey: Secret | undefined;
  readonly #metadata: Record<string, string> | undefined;

  constructor(
    readonly address: string,
    readonly namespace: string,
    tls: TLSConfig | undefined,
    apiKey: Secret | undefined,
    metadata: Record<string, string> | undefined,
    /** Where each setting was read from, to name it in a message. */
    readonly names: TemporalSettingNames,
  ) {
    this.#tls = tls;
    this.#apiKey = apiKey;
    this.#metadata = metadata;
  }

  /** TLS as the SDK takes it (holds the client key), or undefined for plaintext. */
  get tls(): TLSConfig | undefined {
    return this.#tls;
  }

  get usesTls(): boolean {
    return this.#tls !== undefined;
  }

  get usesClientCertificate(): boolean {
    return this.#tls?.clientCertPair !== undefined;
  }

  get usesApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** The API key as Temporal Cloud's own UI shows keys: obfuscated. */
  get apiKeyShown(): string | undefined {
    return this.#apiKey?.obfuscated;
  }

  /** Options for `Connection.connect` and `NativeConnection.connect`; the only place the API key is revealed. */
  connectionOptions(): { address: string; tls: TLSConfig | false; apiKey?: string; metadata?: Record<string, string> } {
    return {
      address: this.address,
      tls: this.#tls ?? false,
      ...(this.#apiKey ? { apiKey: this.#apiKey.reveal() } : {}),
      ...(this.#metadata ? { metadata: this.#metadata } : {}),
    };
  }

  /** e.g. `127.0.0.1:7233 (plaintext)`, `ns.acct.tmprl.cloud:7233 (TLS, API key acct_****xyz)`. */
  describe(): string {
    const parts = [this.usesTls ? 'TLS' : 'plaintext'];
    if (this.usesClientCertificate) parts.push('client certificate');
    if (this.#apiKey) parts.push(`API key ${this.#apiKey.obfuscated}`);
    return `${this.address} (${parts.join(', ')})`;
  }

  toJSON(): string {
    return this.describe();
  }

  [inspect.custom](): string {
    return `TemporalConnectionSettings(${this.describe()}, namespace ${this.namespace})`;
  }
}

/** Temporal's standard variables, as Temporal's CLI and the Worker Controller name them; session-sync reads each. */
export const TEMPORAL_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
];

/** The name an operator changes for each setting: the variable, or the key of the profile it came from. */
export interface TemporalSettingNames {
  address: string;
  namespace: string;
  apiKey: string;
  serverCa: string;
  serverName: string;
  clientCert: string;
  /** The profile in use, e.g. `profile "prod" of /etc/temporal/temporal.toml`, or null without a file. */
  profile: string | null;
}

/**
 * Reads Temporal's client settings from `env` (and the config file it
 * points at), adding each problem to `problems`: a missing file named by
 * TEMPORAL_CONFIG_FILE, an unknown profile, a certificate without its key,
 * a file that cannot be read. Returns undefined when there were problems.
 *
 * @example const settings = loadTemporalSettings(process.env, problems)
 */
export function loadTemporalSettings(env: Env, problems: string[]): TemporalConnectionSettings | undefined {
  const file = temporalConfigFile(env);
  if (file.problem) {
    problems.push(file.problem);
    return undefined;
  }
  const profile = readProfile(env, file, problems);
  if (!profile) return undefined;
  const names = settingNames(env, file);
  const before = problems.length;
  if (!profile.address?.trim()) problems.push(`${names.address} is required`);
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1') {
    problems.push('TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by the TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME to a name in the server\'s certificate instead');
  }
  checkPairs(profile, names, problems);
  const tls = readTls(profile, names, problems);
  if (problems.length > before) return undefined;
  const apiKey = profile.apiKey?.trim() ? new Secret(profile.apiKey.trim()) : undefined;
  return new TemporalConnectionSettings(profile.address!.trim(), profile.namespace?.trim() || 'default', tls, apiKey, profile.grpcMeta, names);
}

function readProfile(env: Env, file: TemporalConfigFile, problems: string[]): ClientConfigProfile | undefined {
  try {
    return loadClientConfigProfile({
      overrideEnvVars: env as Record<string, string>,
      ...(file.path ? { configSource: { path: file.path } } : { disableFile: true }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push(file.path ? `cannot read Temporal's config file ${file.path} (${file.named}): ${reason}` : `Temporal's settings: ${reason}`);
    return undefined;
  }
}

/** envconfig uses a client certificate only with its key, and drops either alone without a word. */
function checkPairs(profile: ClientConfigProfile, names: TemporalSettingNames, problems: string[]): void {
  const cert = profile.tls?.clientCert !== undefined;
  const key = profile.tls?.clientKey !== undefined;
  if (cert && !key) problems.push(`${names.clientCert} is set but not the client key (TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA): mTLS needs both`);
  if (key && !cert) problems.push(`the client key (TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA) is set but not ${names.clientCert}: mTLS needs both`);
}

function readTls(profile: ClientConfigProfile, names: TemporalSettingNames, problems: string[]): TLSConfig | undefined {
  try {
    const { tls } = toClientOptions(profile).connectionOptions;
    if (tls === undefined || tls === false || tls === null) return undefined;
    return tls === true ? {} : tls;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    problems.push(`cannot read a TLS file of Temporal's settings${path ? ` at ${path}` : ''} (${[names.clientCert, names.serverCa].join(', ')}): ${code ?? (error as Error).message}`);
    return undefined;
  }
}

function settingNames(env: Env, file: TemporalConfigFile): TemporalSettingNames {
  const profile = file.path ? `profile "${file.profile}" of ${file.path}` : null;
  const name = (variables: string[], tomlKey: string) => {
    const set = variables.find((variable) => env[variable] !== undefined);
    if (set) return set;
    return profile ? `${tomlKey} in ${profile} (or ${variables[0]})` : variables[0]!;
  };
  return {
    address: name(['TEMPORAL_ADDRESS'], 'address'),
    namespace: name(['TEMPORAL_NAMESPACE'], 'namespace'),
    apiKey: name(['TEMPORAL_API_KEY'], 'api_key'),
    serverCa: name(['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'], 'tls.server_ca_cert_path'),
    serverName: name(['TEMPORAL_TLS_SERVER_NAME'], 'tls.server_name'),
    clientCert: name(['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'], 'tls.client_cert_path'),
    profile,
  };
}
