import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared.js';

/**
 * Turns off the SDK's collection of workflow stack traces, for workflows on
 * the main thread. The SDK collects them (for the `__stack_trace` query, the
 * Temporal UI's "Stack Trace" tab) with a V8 promise hook that is global to
 * the thread it is installed in. In a workflow thread of its own it sees
 * only workflow promises; on the main thread it runs for every promise of
 * the activities too, and builds a new Function for each to ask whether it
 * is a workflow's (the SDK's getActivator). A CPU profile of the worker
 * loading a FullStory window put 38% of its busy time there (56 s of 148).
 *
 * Installing the SDK's global handlers first (idempotent: its own call
 * becomes a no-op) and stopping the hook leaves the source-mapped errors and
 * drops only the stack trace query, which then answers that stack traces
 * are not enabled on this worker. Workflow history, failures and queries
 * are unchanged.
 */
export function withoutWorkflowStackTraces(): void {
  globalHandlers.install();
  (globalHandlers as unknown as { stopPromiseHook(): void }).stopPromiseHook();
  globalHandlers.promiseHookInstalled = false;
}
