import { readFileSync } from 'node:fs';
import { Secret } from './secret.js';
import { describeSecretSource, type CredentialConfig } from './site-config.js';

type Env = Record<string, string | undefined>;

export type ResolvedSecret = { ok: true; secret: Secret } | { ok: false; problem: string };

/**
 * Reads a credential's key from its environment variable or file. A missing
 * key is a problem to report, not an exception: `credentials list` shows it,
 * the worker refuses to start with it.
 */
export function resolveSecret(credential: CredentialConfig, env: Env): ResolvedSecret {
  const source = credential.source;
  if ('env' in source) {
    const value = env[source.env]?.trim();
    return value ? { ok: true, secret: new Secret(value) } : { ok: false, problem: `credential ${credential.name}: ${describeSecretSource(source)} is not set` };
  }
  try {
    const value = readFileSync(source.file, 'utf8').trim();
    return value ? { ok: true, secret: new Secret(value) } : { ok: false, problem: `credential ${credential.name}: ${describeSecretSource(source)} is empty` };
  } catch (error) {
    return { ok: false, problem: `credential ${credential.name}: ${describeSecretSource(source)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}
