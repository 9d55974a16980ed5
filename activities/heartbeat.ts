import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Heartbeats while an activity waits on the rate budget or the network, so a
 * killed worker's activity is retried after the heartbeat timeout instead of
 * the much longer start-to-close timeout, and cancellation reaches us.
 * Returns the function that stops it.
 */
export function keepHeartbeating(): () => void {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  return () => clearInterval(timer);
}
