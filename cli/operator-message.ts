import { scrubSecrets } from '../config/secret.js';

/**
 * One line for an operator from any failure: its message and those of its
 * causes ("Workflow execution failed" says little; the API error under it
 * says what to do), keys scrubbed. The stack goes to the debug log only.
 *
 * @example operatorMessage(new Error('a', { cause: new Error('b') })) // 'a: b'
 */
export function operatorMessage(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error; current !== undefined && current !== null; current = (current as { cause?: unknown }).cause) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !messages.includes(message)) messages.push(message);
    if (!(current instanceof Error)) break;
  }
  return scrubSecrets(messages.join(': ').replace(/\s*\n\s*/g, ' '));
}
