import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks a second for /proc's CPU times (USER_HZ, 100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

const GROUPS = ['worker', 'postgres connections', 'postgres exited (autovacuum workers)', 'postgres background', 'temporal', 'bench and sandbox', 'other'] as const;

/** CPU seconds (user and system) used so far by each part of the bench's world. */
export type CpuSeconds = Record<(typeof GROUPS)[number], number>;

/** Each live process's CPU ticks so far, by the group they count in (the postmaster's in two). */
export type CpuSnapshot = Map<number, Array<[keyof CpuSeconds, number]>>;

/**
 * What every process on the machine has used so far, grouped: the given
 * worker processes; Postgres's connections, the processes it has reaped
 * (autovacuum's workers, mostly: the pools' connections live on) and its
 * background processes (WAL writer, checkpointer…); the Temporal dev
 * server; this process (the bench and the sandbox it serves) and the rest.
 * Two snapshots' difference says where a figure's CPU went. Linux only:
 * read from /proc.
 */
export function cpuSnapshot(workerPids: number[]): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat) continue;
    if (stat.command !== 'postgres') {
      snapshot.set(pid, [[groupOf(pid, stat.command, workerPids), stat.own + stat.reaped]]);
      continue;
    }
    const title = readCommandLine(pid);
    if (!title.startsWith('postgres: ')) {
      // The postmaster: the children it has reaped are counted in its own stat.
      snapshot.set(pid, [['postgres background', stat.own], ['postgres exited (autovacuum workers)', stat.reaped]]);
    } else {
      // A connection's title names its client, "user database 127.0.0.1(5432) idle".
      snapshot.set(pid, [[/\(\d+\)|\[local\]/.test(title) ? 'postgres connections' : 'postgres background', stat.own]]);
    }
  }
  return snapshot;
}

/**
 * CPU seconds by group between two snapshots, process by process: one
 * started between them counts whole, one that ended between them (and
 * was not reaped by a process counted here) is missing, never negative.
 */
export function cpuBetween(earlier: CpuSnapshot, later: CpuSnapshot): CpuSeconds {
  const seconds = Object.fromEntries(GROUPS.map((group) => [group, 0])) as CpuSeconds;
  for (const [pid, parts] of later) {
    const before = new Map(earlier.get(pid) ?? []);
    for (const [group, ticks] of parts) seconds[group] += (ticks - (before.get(group) ?? 0)) / TICKS_PER_SECOND;
  }
  return seconds;
}

function groupOf(pid: number, command: string, workerPids: number[]): keyof CpuSeconds {
  if (workerPids.includes(pid)) return 'worker';
  if (pid === process.pid) return 'bench and sandbox';
  if (command === 'temporal') return 'temporal';
  return 'other';
}

function readCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** A process's command, its own CPU ticks and those of the children it has reaped; undefined once it has exited. */
function readStat(pid: number): { command: string; own: number; reaped: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command is in parentheses and may hold spaces; the fields after it are numbers.
  const close = text.lastIndexOf(')');
  const command = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // From the state (field 3 of stat): utime, stime, cutime and cstime are fields 14 to 17.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
  return { command, own: utime! + stime!, reaped: cutime! + cstime! };
}
