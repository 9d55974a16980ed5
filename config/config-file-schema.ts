import { z } from 'zod';
import { cronExpression, durationText, identifier, secretFilePath, secretVariableName, timeZone } from './config-values.js';
import { PARTITION_SPANS } from '../db/partition-spans.js';
import { CREDENTIAL_KINDS, SOURCE_NAMES } from '../sources/source-definitions.js';

const secretSource = z
  .object({ env: secretVariableName.optional(), file: secretFilePath.optional() })
  .strict()
  .refine((source) => (source.env === undefined) !== (source.file === undefined), {
    message: 'must name exactly one of env (an environment variable) or file (a path); the key itself never goes in this file',
  });

const credential = z
  .object({
    description: z.string().default(''),
    kind: z.string().refine((kind) => CREDENTIAL_KINDS.includes(kind), { message: `must be one of: ${CREDENTIAL_KINDS.join(', ')}` }),
    secret: secretSource,
  })
  .strict();

const schedule = z
  .object({
    cron: cronExpression.optional(),
    timezone: timeZone.optional(),
    jitter: durationText({ allowZero: true }).optional(),
    catchupWindow: durationText().optional(),
    runTimeout: durationText().optional(),
  })
  .strict();

const sync = z
  .object({
    window: durationText().optional(),
    backfillWindow: durationText().optional(),
    maxSessionDuration: durationText().optional(),
    settleDelay: durationText({ allowZero: true }).optional(),
    initialLookback: durationText().optional(),
    refreshTrailing: durationText({ allowZero: true }).optional(),
    freshReachBack: durationText().optional(),
    sweepReachBack: durationText({ allowZero: true }).optional(),
    /** How much time one partition of the site's synced table holds (db/partition-spans.ts). */
    partition: z.enum(PARTITION_SPANS, { error: `must be one of: ${PARTITION_SPANS.join(', ')}` }).optional(),
    /** How long the copy keeps a site's records; absent: everything, for ever. */
    retention: durationText().optional(),
    /** Retention detaches old partitions (kept as tables outside the copy) instead of dropping them. */
    retentionDetachOnly: z.boolean().optional(),
  })
  .strict();

/** How old the watermark may get before `status` calls the site late (warnAfter) or stale (errorAfter). */
const freshness = z
  .object({
    warnAfter: durationText(),
    errorAfter: durationText(),
  })
  .strict()
  .refine((value) => value.errorAfter > value.warnAfter, { message: 'errorAfter must be longer than warnAfter' });

const site = z
  .object({
    credential: z.string({ error: 'is required: the name of a credential under credentials' }),
    schedule: schedule.optional(),
    sync: sync.optional(),
    freshness: freshness.optional(),
  })
  .strict();

const account = z
  .object({
    /** The source the account's sites are read from; FullSession when absent, as in files written before there were others. */
    source: z.string().refine((name) => SOURCE_NAMES.includes(name), { message: `must be one of: ${SOURCE_NAMES.join(', ')}` }).default('fullsession'),
    rateLimitPerMinute: z.number().int('must be a whole number').positive('must be positive').optional(),
    sites: z.record(identifier, site).refine((sites) => Object.keys(sites).length > 0, { message: 'must list at least one site' }),
  })
  .strict();

/**
 * The config file (SESSION_SYNC_CONFIG), YAML. Credentials are named, have
 * a kind and say where their key comes from; accounts (FullSession customer
 * ids, or the source's equivalent) name their source and list their sites; `defaults` fill any schedule or sync setting a site leaves out.
 */
export const configFileSchema = z
  .object({
    credentials: z.record(identifier, credential),
    defaults: z.object({ schedule: schedule.optional(), sync: sync.optional(), freshness: freshness.optional() }).strict().optional(),
    accounts: z.record(identifier, account).refine((accounts) => Object.keys(accounts).length > 0, { message: 'must list at least one account' }),
  })
  .strict();

export type ConfigFile = z.output<typeof configFileSchema>;
