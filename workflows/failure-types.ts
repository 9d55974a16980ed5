import type { SourceFailureKind } from '../sources/source-error.js';

/**
 * The `type` of every ApplicationFailure session-sync raises, in one place
 * that activities (which raise them) and workflows (which decide from them)
 * both import. Pure data: safe in the workflow bundle.
 */
export const FailureType = {
  ...({
    transient: 'Transient',
    rate_limited: 'RateLimited',
    credential_rejected: 'CredentialRejected',
    stream_unavailable: 'StreamUnavailable',
    bad_data: 'BadData',
    window_failed: 'WindowFailed',
  } satisfies Record<SourceFailureKind, string>),
  /** A run asked for a credential this worker does not have: that run fails; the site is fine. */
  credentialMissing: 'CredentialMissing',
  checkpointMoved: 'CheckpointMoved',
  /** The API's paging would never end: fails the window, not retried. */
  cursorLoop: 'CursorLoop',
} as const;

/**
 * Failures that will fail every run of the site the same way until an
 * operator acts (new key, wider scope, right ids): the site's schedule is
 * paused with the reason. The `FullSession.*` types are what releases before
 * the shared taxonomy recorded; histories holding them must replay the same.
 */
export const PAUSES_THE_SCHEDULE: ReadonlySet<string> = new Set([
  FailureType.credential_rejected,
  FailureType.stream_unavailable,
  'FullSession.unauthorized',
  'FullSession.forbidden',
  'FullSession.not_found',
  'FullSession.bad_request',
]);
