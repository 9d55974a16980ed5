#!/usr/bin/env node
/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`), as
 * figures: share of the samples, milliseconds, function and place. Idle
 * time (the worker waiting on the network or Postgres) is shown apart, so
 * the shares of busy time say where the CPU went.
 *
 * Usage: node scripts/cpu-profile-summary.mjs FILE.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/cpu-profile-summary.mjs FILE.cpuprofile [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 25);

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

const byFunction = new Map();
for (const [id, micros] of selfMicros) {
  const { callFrame } = nodes.get(id);
  const place = callFrame.url ? `${callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
  const key = `${callFrame.functionName || '(anonymous)'} ${place}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}

const total = [...byFunction.values()].reduce((sum, micros) => sum + micros, 0);
const idle = byFunction.get('(idle)') ?? 0;
const busy = total - idle;
console.log(`profile ${(total / 1e6).toFixed(1)} s: idle ${(idle / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s`);
console.log('share of busy  ms  function');
const ranked = [...byFunction].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [key, micros] of ranked) console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${String(Math.round(micros / 1000)).padStart(6)}  ${key}`);
