import { inject } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../devstack/scratch-database.js';

export type TestDatabase = ScratchDatabase;

/** A fresh, migrated database for one test file on the suite's Postgres (or `adminUrl`'s). */
export function createTestDatabase(migrate = true, adminUrl = inject('adminDatabaseUrl')): Promise<TestDatabase> {
  return createScratchDatabase(adminUrl, { migrate });
}
