import type { z } from 'zod';
import { fullSessionDefinition } from './fullsession/fullsession-definition.js';
import { fullStoryDefinition } from './fullstory/fullstory-definition.js';
import type { SourceDefinition } from './source-definition.js';

/** Every source session-sync knows; adding a vendor adds its definition here. */
export const SOURCE_DEFINITIONS = [fullSessionDefinition, fullStoryDefinition] as const;

type Definition = (typeof SOURCE_DEFINITIONS)[number];

/** Each source's validated settings, by source name, e.g. `settings.fullsession.apiUrl`. */
export type SourceSettings = { [D in Definition as D['name']]: z.output<D['settings']> };

export const SOURCE_NAMES: readonly string[] = SOURCE_DEFINITIONS.map((definition) => definition.name);

/** Every credential kind of every source, for the config file's `kind`. */
export const CREDENTIAL_KINDS: readonly string[] = SOURCE_DEFINITIONS.flatMap((definition) => definition.credentialKinds);

/** The definition a credential kind belongs to. */
export function definitionOfCredentialKind(kind: string): SourceDefinition {
  const definition = SOURCE_DEFINITIONS.find((candidate) => (candidate.credentialKinds as readonly string[]).includes(kind));
  if (!definition) throw new Error(`no source has credentials of kind ${kind}`);
  return definition;
}

/** The definition of a source by name. */
export function definitionOf(name: string): SourceDefinition {
  const definition = SOURCE_DEFINITIONS.find((candidate) => candidate.name === name);
  if (!definition) throw new Error(`no source named ${name}`);
  return definition;
}
