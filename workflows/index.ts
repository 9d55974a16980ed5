// The workflow bundle's entry point: every workflow the worker registers.
export { syncRangeWorkflow } from './sync-range-workflow.js';
