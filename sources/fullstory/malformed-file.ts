import { SourceError } from '../source-error.js';

/** An export file that cannot be read as a whole: the window's load fails and writes nothing. */
export function malformedFile(reason: string): SourceError {
  return new SourceError('bad_data', `FullStory sent a malformed export file: ${reason}`, { reason: 'malformed' });
}
