import type { ColumnType } from 'kysely';

/**
 * The column types every table interface uses, below both db/database.ts
 * and each source's tables (sources/<vendor>/*-tables.ts), which database.ts
 * gathers: neither imports the other for them.
 */

/** Postgres returns bigint as a string; we write numbers. */
export type BigIntColumn = ColumnType<string, number, number>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
