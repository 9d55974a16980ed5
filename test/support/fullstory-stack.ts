import { randomBytes } from 'node:crypto';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import type { Logger } from '../../logging/logger.js';
import { installTemporalRuntime } from '../../worker/install-runtime.js';
import { startOperatorStack, type OperatorStack } from './operator-stack.js';

export interface FullStoryStack {
  sandbox: FullStorySandbox;
  stack: OperatorStack;
  close(): Promise<void>;
}

export interface FullStoryStackOptions {
  orgId: string;
  eventsPerHour: number;
  pendingPolls: number;
  /** How long the workflow waits between polls of a pending export. */
  pollInterval: string;
  /** The account's `sites:` entries as YAML, indented by six spaces; each may use the credential `fs`. */
  sites: string;
  log: Logger;
  /** Start the in-process worker (default); false when the test runs worker processes of its own. */
  inProcessWorker?: boolean;
  /** More settings for the deployment's environment. */
  env?: Record<string, string>;
}

/**
 * One FullStory org in the sandbox with an Architect key, and a deployment
 * (database, task queue, worker) configured for it by a config file whose
 * credential `fs` holds that key.
 */
export async function startFullStoryStack(options: FullStoryStackOptions): Promise<FullStoryStack> {
  installTemporalRuntime(options.log);
  const key = `na1.${randomBytes(24).toString('base64url')}/${randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
  const sandbox = await FullStorySandbox.start({
    orgs: [{ orgId: options.orgId, eventsPerHour: options.eventsPerHour }],
    keys: [{ key, orgId: options.orgId, role: 'ARCHITECT', email: 'etl@example.com' }],
    pendingPolls: options.pendingPolls,
  });
  const stack = await startOperatorStack({
    yaml: `credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }\naccounts:\n  ${options.orgId}:\n    source: fullstory\n    rateLimitPerMinute: 100000\n    sites:\n${options.sites}\n`,
    secrets: { FS_KEY: key },
    env: { FULLSTORY_API_URL: sandbox.url, FULLSTORY_EU_API_URL: sandbox.url, FULLSTORY_POLL_INTERVAL: options.pollInterval, ...options.env },
    log: options.log,
  });
  if (options.inProcessWorker !== false) await stack.startWorker();
  return {
    sandbox,
    stack,
    async close() {
      await stack.close();
      await sandbox.close();
    },
  };
}
