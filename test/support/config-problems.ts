import { ConfigError } from '../../config/config-error.js';
import { loadConfig, type LoadOptions } from '../../config/load-config.js';

/** The problems loadConfig reports for `env`, or [] when it is valid. */
export function configProblems(env: Record<string, string>, options: LoadOptions = {}): string[] {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
