import type { PersonErasure } from '../../erasure/person-table.js';

/**
 * Where FullSession's copy holds a person: the user id and email its
 * identify call sends (session-identities.ts), in sessions and rejects.
 */
export const FULLSESSION_PERSON_ERASURE: PersonErasure = {
  tables: [
    {
      table: 'fullsession_sessions',
      accountColumn: 'customer_id',
      identities: [['user_id', 'user_id'], ['email', "lower(payload->>'email')"], ['email', "lower(payload->>'userEmail')"]],
      partitioned: { siteColumn: 'site_id', timeColumn: 'start_time' },
    },
    {
      table: 'fullsession_rejects',
      accountColumn: 'customer_id',
      identities: [['user_id', "raw->>'userId'"], ['user_id', "raw->>'user'"], ['email', "lower(raw->>'email')"], ['email', "lower(raw->>'userEmail')"]],
    },
  ],
  seed: (requestedBy, value) => (requestedBy === 'email' ? [['email', value]] : [['user_id', value]]),
};
