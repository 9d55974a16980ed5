/**
 * At most `size` tool calls at once across every request and key: the MCP
 * server's Postgres pool also serves key lookups and audit writes, and a
 * batch of 100 five-second queries must queue here instead of taking every
 * connection. Waiters run in arrival order.
 */
export class CallSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
