import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { getContainerRuntimeClient } from 'testcontainers';
import type { LocalPostgres } from '../../devstack/embedded-postgres.js';
import { startEmbeddedPostgresProcess } from '../../devstack/embedded-postgres-process.js';

/**
 * The Postgres the suite runs against, in order of preference: DATABASE_URL
 * as given; a testcontainers Postgres when a Docker engine answers; else a
 * private embedded Postgres. Never a skip: if none starts, the suite fails.
 */
export async function provideTestPostgres(): Promise<LocalPostgres & { source: string }> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, source: 'DATABASE_URL', stop: async () => {} };
  if (await dockerAnswers()) {
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return { url: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  }
  return { ...(await startEmbeddedPostgresProcess()), source: 'embedded-postgres' };
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000)),
    ]);
    return true;
  } catch {
    return false;
  }
}
