import { existsSync } from 'node:fs';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

/** The `temporal.toml` a process reads, if any, and the profile it uses. */
export interface TemporalConfigFile {
  /** Absent when no file applies: none named and none at the default place (or no HOME to find it by). */
  path?: string;
  /** How the file was found, for messages: `TEMPORAL_CONFIG_FILE` or the default place. */
  named: string;
  profile: string;
  problem?: string;
}

/**
 * Finds Temporal's client config file as its CLI does: TEMPORAL_CONFIG_FILE,
 * else `$XDG_CONFIG_HOME/temporalio/temporal.toml` (or under `$HOME/.config`).
 * A container without HOME simply has no default file. A file named
 * explicitly that is not there, or a profile asked for without any file, is
 * a problem: envconfig would silently connect with the variables alone.
 */
export function temporalConfigFile(env: Env): TemporalConfigFile {
  const profile = env.TEMPORAL_PROFILE?.trim() || 'default';
  const named = env.TEMPORAL_CONFIG_FILE?.trim();
  if (named) {
    if (!existsSync(named)) return { named: 'TEMPORAL_CONFIG_FILE', profile, problem: `TEMPORAL_CONFIG_FILE names ${named}, which does not exist` };
    return { path: named, named: 'TEMPORAL_CONFIG_FILE', profile };
  }
  const fallback = defaultPath(env);
  if (fallback && existsSync(fallback)) return { path: fallback, named: 'the default place', profile };
  if (env.TEMPORAL_PROFILE?.trim()) {
    return { named: 'none', profile, problem: `TEMPORAL_PROFILE is ${profile}, but there is no temporal.toml to read it from: set TEMPORAL_CONFIG_FILE${fallback ? ` or create ${fallback}` : ''}` };
  }
  return { named: 'none', profile };
}

function defaultPath(env: Env): string | undefined {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  if (xdg && xdg.startsWith('/')) return join(xdg, 'temporalio', 'temporal.toml');
  const home = env.HOME?.trim();
  return home ? join(home, '.config', 'temporalio', 'temporal.toml') : undefined;
}
