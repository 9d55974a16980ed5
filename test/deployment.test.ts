import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../config/duration.js';
import { envSections } from '../config/env-schema.js';
import { SOURCE_DEFINITIONS } from '../sources/source-definitions.js';
import { WORKER_COMMAND, WORKER_PROCESS_ENV } from '../devstack/session-sync-process.js';
import { TEMPORAL_VARIABLES } from '../temporal/temporal-settings.js';
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
      ...TEMPORAL_VARIABLES,
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

interface Container {
  name: string;
  command: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  resources: { requests: { memory: string }; limits: { memory: string; cpu: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number };
  containers: Container[];
  volumes?: Array<{ name: string; secret?: { secretName: string }; configMap?: { name: string } }>;
}
const manifest = <T>(file: string) => parse(read(`deploy/kubernetes/${file}`)) as T;
const podOf = (file: string) => manifest<{ spec: { template: { spec: PodSpec } } }>(file).spec.template.spec;
const mebibytes = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)?.[1]);
/** Variables that hold a secret: each must come from a Secret, never a literal in a manifest. */
const SECRET_VARIABLES = ['DATABASE_URL', 'TEMPORAL_API_KEY', 'MCP_KEY_PEPPER', 'ERASURE_HASH_KEY'];

describe('the Kubernetes manifests (validated against the schemas and scanned by checkov in CI: scripts/check-deployment.mjs)', () => {
  it('the kustomization applies every manifest in the folder', () => {
    const listed = manifest<{ resources: string[] }>('kustomization.yaml').resources.sort();
    const files = readdirSync(join(ROOT, 'deploy/kubernetes')).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').sort();
    expect(listed).toEqual(files);
  });

  it('the worker probes /readyz and /healthz, runs as non-root on a read-only root with memory limits, and outlives its shutdown grace', () => {
    const pod = podOf('worker-deployment.yaml');
    const [worker] = pod.containers;
    expect(worker?.command).toEqual(['node', ...WORKER_COMMAND]);
    expect(worker?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(worker?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(worker?.ports).toEqual([{ name: 'metrics', containerPort: 9464 }]);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(10_000);
    expect(worker?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    // Above the measured peak (224 MB with four backfills at once, docs/benchmarks.md), with room.
    expect(mebibytes(worker!.resources.limits.memory)).toBeGreaterThanOrEqual(256);
    expect(mebibytes(worker!.resources.requests.memory)).toBeLessThanOrEqual(mebibytes(worker!.resources.limits.memory));
    const env = Object.fromEntries((worker?.env ?? []).map((variable) => [variable.name, variable]));
    const grace = parseDuration(env.WORKER_SHUTDOWN_GRACE?.value ?? '');
    const pageTimeout = parseDuration('30s');
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(grace! + pageTimeout!);
    expect(env.METRICS_HOST?.value).toBe('0.0.0.0');
  });

  it('takes every secret from Secrets, and mounts the mTLS pair where the Temporal Worker Controller does', () => {
    for (const file of ['worker-deployment.yaml', 'mcp-deployment.yaml', 'migrate-job.yaml']) {
      for (const container of podOf(file).containers) {
        for (const variable of (container.env ?? []).filter((variable) => SECRET_VARIABLES.includes(variable.name))) {
          expect(variable.value, `${file} ${variable.name}`).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef?.name, `${file} ${variable.name}`).toMatch(/^session-sync-/);
        }
      }
    }
    const pod = podOf('worker-deployment.yaml');
    const tls = pod.containers[0]?.volumeMounts.find((mount) => mount.name === 'temporal-tls');
    expect(tls?.mountPath).toBe('/etc/temporal/tls');
    expect(pod.volumes?.find((volume) => volume.name === 'temporal-tls')?.secret?.secretName).toBe('session-sync-temporal-tls');
    const temporal = manifest<{ data: Record<string, string> }>('temporal-configmap.yaml').data;
    expect(Object.keys(temporal).filter((name) => !TEMPORAL_VARIABLES.includes(name) && name !== 'TEMPORAL_TASK_QUEUE')).toEqual([]);
    expect(read('deploy/kubernetes/temporal-configmap.yaml')).toContain('# TEMPORAL_TLS_CLIENT_CERT_PATH: /etc/temporal/tls/tls.crt');
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
