import { createLogger } from '../../logging/logger.js';

/** Tests assert on rows and requests, not log lines; LOG_LEVEL=debug shows them. */
export const silentLogger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent', pretty: false });
