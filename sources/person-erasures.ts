import type { PersonErasure } from '../erasure/person-table.js';
import { FULLSESSION_PERSON_ERASURE } from './fullsession/person-tables.js';
import { FULLSTORY_PERSON_ERASURE } from './fullstory/person-tables.js';

/** Where each source's copy holds a person, by source name: what `session-sync forget` erases. */
export const PERSON_ERASURES: Readonly<Record<string, PersonErasure>> = {
  fullsession: FULLSESSION_PERSON_ERASURE,
  fullstory: FULLSTORY_PERSON_ERASURE,
};
