import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../logging/logger.js';

/** The product's logger (same redaction) writing every line to an array, for secret scans. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level, pretty: false }, stream), lines };
}
