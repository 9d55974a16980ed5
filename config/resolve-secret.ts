import { readFileSync, statSync } from 'node:fs';
import { keyShapeProblem, Secret } from './secret.js';
import { describeSecretSource, type CredentialConfig } from './site-config.js';
import { definitionOfCredentialKind } from '../sources/source-definitions.js';

type Env = Record<string, string | undefined>;

export type ResolvedSecret = { ok: true; secret: Secret; warning: string | null } | { ok: false; problem: string };

/**
 * Reads a credential's key from its environment variable or file. A missing
 * key is a problem to report, not an exception: `credentials list` shows it,
 * the worker refuses to start with it.
 */
export function resolveSecret(credential: CredentialConfig, env: Env): ResolvedSecret {
  const source = credential.source;
  const obfuscate = (key: string) => definitionOfCredentialKind(credential.kind).obfuscateKey(key);
  const where = `credential ${credential.name}: ${describeSecretSource(source)}`;
  if ('env' in source) {
    const value = env[source.env]?.trim();
    return value ? asKey(value, where, obfuscate) : { ok: false, problem: `${where} is not set` };
  }
  try {
    const value = readFileSync(source.file, 'utf8').trim();
    if (!value) return { ok: false, problem: `${where} is empty` };
    const resolved = asKey(value, where, obfuscate);
    return resolved.ok ? { ...resolved, warning: readableByAll(source.file, where) } : resolved;
  } catch (error) {
    return { ok: false, problem: `${where} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

/** A value that cannot be a key is refused here, never sent: an HTTP client would quote it in its error. */
function asKey(value: string, where: string, obfuscate: (key: string) => string): ResolvedSecret {
  const problem = keyShapeProblem(value);
  return problem === null ? { ok: true, secret: new Secret(value, obfuscate), warning: null } : { ok: false, problem: `${where} ${problem}` };
}

/** A key file any user of the machine can read is used, with a warning: refusing it would stop a running fleet at its next restart. */
function readableByAll(file: string, where: string): string | null {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o004) === 0) return null;
  return `${where} is readable by every user of this machine (mode ${mode.toString(8)}); restrict it: chmod 600 ${file}`;
}
