import { hostname } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/failure-types.js';

/** How Temporal names this worker process (its default identity): what an operator greps the fleet for. */
const WORKER_IDENTITY = `${process.pid}@${hostname()}`;

/**
 * A run asked for a credential this worker was not given. The operator's
 * error is about this worker and this run (a CLI whose config differs from
 * the workers'), not about the site: the run fails, nothing is paused.
 */
export function credentialMissingError(credentialName: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `credential ${credentialName} is not configured on worker ${WORKER_IDENTITY}, so this run fails; the site's schedule is left as it is. ` +
      "Start the run with a credential the workers know, or add it to every worker's config (SESSION_SYNC_CONFIG or FULLSESSION_API_TOKEN) and restart them",
    FailureType.credentialMissing,
  );
}
