#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader: one code path for
// development, tests and the container image.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
