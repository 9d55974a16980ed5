import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker/create-worker.js';

/**
 * Bundles the workflow code ahead of time (the container image does this at
 * build time) so workers start without webpack; point WORKFLOW_BUNDLE_PATH at it.
 */
const output = process.argv[2] ?? 'dist/workflow-bundle.js';
const { code } = await bundleWorkflowCode({ workflowsPath });
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, code);
process.stdout.write(`workflow bundle written to ${output} (${(code.length / 1024).toFixed(0)} KiB)\n`);
