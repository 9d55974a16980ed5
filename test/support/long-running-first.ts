import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The first line of a test file that waits out real clocks (a sliding minute, heartbeat timeouts) for most of its run. */
export const LONG_RUNNING_MARK = '// long-running:';

/**
 * Starts the files marked long-running first, then the rest in vitest's own
 * order (known durations, else larger files first). On a fresh clone vitest
 * knows no durations, and a small file that takes a minute of waiting could
 * start last and add its whole minute to the run.
 */
export default class LongRunningFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const long = sorted.filter(isLongRunning);
    return [...long, ...sorted.filter((file) => !long.includes(file))];
  }
}

function isLongRunning(file: TestSpecification): boolean {
  return readFileSync(file.moduleId, 'utf8').startsWith(LONG_RUNNING_MARK);
}
