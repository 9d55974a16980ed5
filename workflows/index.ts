// The workflow bundle's entry point: every workflow the worker registers.
export { scheduledSyncWorkflow } from './scheduled-sync-workflow.js';
export { syncRangeWorkflow } from './sync-range-workflow.js';
