import pino, { type Logger } from 'pino';
import { scrubSecrets } from '../config/secret.js';
import { SOURCE_DEFINITIONS } from '../sources/source-definitions.js';

export type { Logger };

/**
 * Paths pino censors wherever they appear in a logged object. The key never
 * reaches a log by design (Secret serialises obfuscated); this is the second
 * line of defence for headers and raw config objects.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'apiToken',
  '*.apiToken',
  ...SOURCE_DEFINITIONS.flatMap((definition) => definition.secretVariables.flatMap((name) => [name, `*.${name}`])),
];

export interface LoggerOptions {
  level: string;
  /** 'auto': pretty when the stream the lines go to is a terminal. */
  pretty: boolean | 'auto';
  /** The worker logs to stdout; operator commands log to stderr so their output stays parseable. */
  toStderr?: boolean;
}

/**
 * Builds the one root logger of a process; modules take `logger.child({ module })`.
 * JSON by default for log shippers, pretty-printed when asked (a TTY).
 *
 * @example const log = createLogger({ level: 'info', pretty: false }).child({ module: 'worker' })
 * `destination` replaces stdout/stderr, e.g. to capture lines in tests.
 */
export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const fd = options.toStderr ? 2 : 1;
  const settings = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Redaction above knows field names; this knows the keys themselves,
    // wherever a message, an error or an API's answer quotes one.
    hooks: { streamWrite: scrubSecrets },
  };
  const toTerminal = Boolean((options.toStderr ? process.stderr : process.stdout).isTTY);
  if (options.pretty === true || (options.pretty === 'auto' && toTerminal)) {
    // Colour only for a terminal, and never with NO_COLOR (no-color.org): a pipe or a file gets plain text.
    const colorize = toTerminal && !process.env.NO_COLOR;
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', destination: fd, colorize } } });
  }
  return pino(settings, destination ?? pino.destination({ fd, sync: true }));
}
