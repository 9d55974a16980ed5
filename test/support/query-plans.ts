import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../db/database.js';

/** Every table a plan reads, from EXPLAIN's JSON; with ANALYZE, only those it did read (pruned at run time otherwise). */
export function relationsOf(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(relationsOf);
  if (plan === null || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const read = typeof node['Relation Name'] === 'string' && node['Actual Loops'] !== 0 ? [node['Relation Name']] : [];
  return [...read, ...Object.values(node).flatMap(relationsOf)];
}

/**
 * A connection that records every query it runs, and what the queries of
 * a call read: the partitions of `table` in each one's plan (EXPLAIN with
 * its own parameters), the queries that name `table` in order.
 */
export function queryRecorder(url: string) {
  const queries: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // pool.end() resolves before its clients have closed: the test file's
  // `drop database … with (force)` can then end one, whose error the pool
  // emits; unheard, it fails the run (as connectDatabase's pools hear it).
  pool.on('error', () => {});
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => void (event.level === 'query' && queries.push(event.query)),
  });
  return {
    db,
    queries,
    async partitionsRead(table: string, read: (db: Kysely<Database>) => Promise<unknown>): Promise<string[][]> {
      queries.length = 0;
      await read(db);
      const plans: string[][] = [];
      for (const query of queries.filter((q) => q.sql.includes(`"${table}"`))) {
        const plan = await db.executeQuery(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]) as CompiledQuery<{ 'QUERY PLAN': unknown }>);
        plans.push([...new Set(relationsOf(plan.rows[0]!['QUERY PLAN']).filter((name) => name.startsWith(table)))].sort());
      }
      return plans;
    },
  };
}
