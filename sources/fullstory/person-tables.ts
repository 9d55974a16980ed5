import type { PersonErasure } from '../../erasure/person-table.js';

/**
 * Where FullStory's copy holds a person: every identity field it exports
 * (email, your own user id, FullStory's user id and individual id), in
 * events, the sessions derived from them, individuals and rejects.
 * `--user-id` is matched as your own user id and as FullStory's. The
 * tables that link one identity to the others (sessions, individuals)
 * are erased last, so a run stopped half-way can be run again and still
 * find every row.
 */
export const FULLSTORY_PERSON_ERASURE: PersonErasure = {
  tables: [
    {
      table: 'fullstory_events',
      accountColumn: 'org_id',
      identities: [['fullstory_user_id', 'user_id'], ['indv_id', 'indv_id'], ['email', 'lower(user_email)'], ['uid', "raw->>'UserAppKey'"]],
      partitioned: { siteColumn: 'stream', timeColumn: 'event_start' },
    },
    {
      table: 'fullstory_rejects',
      accountColumn: 'org_id',
      identities: [
        ['fullstory_user_id', "raw->>'UserId'"],
        ['indv_id', "raw->>'IndvId'"],
        ['email', "lower(raw->>'UserEmail')"],
        ['email', "lower(raw->>'Email')"],
        ['uid', "raw->>'UserAppKey'"],
        ['uid', "raw->>'Uid'"],
      ],
    },
    {
      table: 'fullstory_sessions',
      accountColumn: 'org_id',
      identities: [['fullstory_user_id', 'user_id'], ['uid', 'uid'], ['email', 'lower(email)']],
      partitioned: { siteColumn: 'stream', timeColumn: 'started_at' },
    },
    {
      table: 'fullstory_individuals',
      accountColumn: 'org_id',
      identities: [['indv_id', 'indv_id'], ['uid', 'uid'], ['email', 'lower(email)']],
    },
  ],
  seed: (requestedBy, value) => (requestedBy === 'email' ? [['email', value]] : [['uid', value], ['fullstory_user_id', value]]),
};
