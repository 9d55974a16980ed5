import { createSyncWorker, type SyncWorkerDeps } from '../../worker/create-worker.js';

export interface InProcessWorker {
  /** Shuts the worker down, waits for it and closes its connections. */
  stop(): Promise<void>;
}

/** A sync worker running inside the test process, for tests that need no real process. */
export async function startInProcessWorker(deps: SyncWorkerDeps): Promise<InProcessWorker> {
  const { worker, close } = await createSyncWorker(deps);
  const done = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await done;
      await close();
    },
  };
}
