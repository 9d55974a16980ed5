import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { envSections } from '../config/env-schema.js';
import { SOURCE_DEFINITIONS } from '../sources/source-definitions.js';
import { WORKER_COMMAND, WORKER_PROCESS_ENV } from '../devstack/session-sync-process.js';
import { configProblems } from './support/config-problems.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
const dotenvExample = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, resolved from .env.example. */
function substitute(value: string | number): string {
  return String(value).replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const given = dotenvExample[name];
    if (given !== undefined) return given;
    if (kind === '-') return rest ?? '';
    throw new Error(`docker-compose.yml needs ${name}, which .env.example does not set`);
  });
}

/**
 * No Docker engine runs here, so the deployment is checked as text: the
 * compose file and the Dockerfile against the configuration and the tests.
 */
describe('the container deployment', () => {
  it('compose has Postgres, a Temporal server persisting to it, the UI and a scalable worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'temporal', 'temporal-ui', 'worker']);
    expect(compose.services.temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(compose.services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    // A fixed host port would make `--scale worker=3` fail.
    expect(compose.services.worker?.ports).toBeUndefined();
    expect(Object.keys(compose.services.worker?.depends_on ?? {}).sort()).toEqual(['postgres', 'temporal']);
  });

  it("the worker's environment is a valid configuration, naming only variables session-sync knows", () => {
    const environment = Object.fromEntries(Object.entries(compose.services.worker?.environment ?? {}).map(([name, value]) => [name, substitute(value)]));
    const known = new Set([
      ...Object.values(envSections).flatMap((schema) => Object.keys(schema.shape)),
      ...SOURCE_DEFINITIONS.flatMap((definition) => definition.settingsVariables),
      'SESSION_SYNC_CONFIG',
      'FULLSESSION_API_TOKEN',
      'FULLSESSION_API_TOKEN_FILE',
    ]);
    expect(Object.keys(environment).filter((name) => !known.has(name))).toEqual([]);
    expect(configProblems(environment)).toEqual([]);
    expect(environment.FULLSESSION_API_TOKEN_FILE).toBe('/run/secrets/fullsession_api_token');
    const used = read('docker-compose.yml');
    for (const name of Object.keys(dotenvExample)) expect(used, `${name} from .env.example`).toContain(`\${${name}`);
  });

  it('the image runs the compiled build, with its workflow bundle, by the command the tests run, and ships no TypeScript tooling', () => {
    const dockerfile = read('Dockerfile');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...WORKER_COMMAND]);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toContain('RUN npm install --no-save --omit=dev');
    expect([...dockerfile.matchAll(/^COPY (\S+) \.\/\S+$/gm)].map((match) => match[1])).toEqual(['bin']);
    expect(dockerfile).toContain('EXPOSE 9464');
    const env = Object.entries(WORKER_PROCESS_ENV).map(([name, value]) => `${name}=${value}`).join(' ');
    expect(dockerfile).toContain(`ENV ${env}`);
    const runtime = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
    expect(runtime.filter((name) => ['tsx', 'typescript', 'ts-node'].includes(name))).toEqual([]);
    // The test run's global setup has built it: the CLI and the bundle the compiled worker loads by default.
    expect(existsSync(join(ROOT, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/workflow-bundle.js'))).toBe(true);
  });

  it('the build compiles every source folder the CLI imports, and no dev stack or sandbox', () => {
    const built = new Set((JSON.parse(read('tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] }).include);
    const needed = new Set([...sourceFilesReachableFrom(join(ROOT, 'cli/main.ts'))].map((file) => relative(ROOT, file).split('/')[0]));
    expect([...needed].filter((folder) => !built.has(folder ?? ''))).toEqual([]);
    expect([...built].filter((folder) => ['devstack', 'test', 'bench', 'demo', 'scripts'].includes(folder))).toEqual([]);
  });
});

/** Relative imports followed from `entry`, `.js` specifiers resolved to the `.ts` sources. */
function sourceFilesReachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return seen;
}
