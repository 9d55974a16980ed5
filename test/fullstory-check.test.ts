import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand, checkLine, listCredentialsCommand } from '../cli/credentials-commands.js';
import { loadConfig } from '../config/load-config.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { tempDir } from './support/temp-dir.js';

const ORG = 'o-1G1-na1';
const ADMIN_ORG = 'o-2G2-na1';
const WRONG_ORG = 'o-3G3-na1';
const NA_ORG = 'o-4G4-na1';
/** Where eu1 keys would go; nothing listens there, and nothing may be sent there. */
const EU_API_URL = 'http://127.0.0.1:9';
const key = () => `na1.${randomBytes(24).toString('base64url')}/${randomBytes(5).toString('hex').slice(0, 7).toUpperCase()}`;

/** `session-sync check` for FullStory keys: /me, the level exporting needs, and the org. */
describe('checking FullStory keys', () => {
  const keys = { architect: key(), standard: key(), admin: key(), otherOrg: key(), european: key().replace(/^na1\./, 'eu1.') };
  let sandbox: FullStorySandbox;
  let database: TestDatabase;

  beforeAll(async () => {
    sandbox = await FullStorySandbox.start({
      orgs: [{ orgId: ORG, eventsPerHour: 1 }, { orgId: ADMIN_ORG, eventsPerHour: 1 }],
      keys: [
        { key: keys.architect, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' },
        { key: keys.standard, orgId: ORG, role: 'USER', email: 'analyst@example.com' },
        { key: keys.admin, orgId: ADMIN_ORG, role: 'ADMIN', email: 'owner@example.com' },
        { key: keys.otherOrg, orgId: 'o-7Q7-na1', role: 'ARCHITECT', email: 'etl@other.example' },
      ],
    });
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('passes an Architect key, warns about an Admin key, and fails a Standard key, another org\'s or another data centre\'s with what to do', async () => {
    // A FullStory account's sites are its two streams: one key per stream, so five keys take four orgs.
    const accounts = [
      `  ${ORG}:\n    source: fullstory\n    sites:\n      events: { credential: architect }\n      individuals: { credential: standard }`,
      `  ${ADMIN_ORG}:\n    source: fullstory\n    sites:\n      events: { credential: admin }`,
      `  ${WRONG_ORG}:\n    source: fullstory\n    sites:\n      events: { credential: otherOrg }`,
      `  ${NA_ORG}:\n    source: fullstory\n    sites:\n      events: { credential: european }`,
    ].join('\n');
    const credentials = Object.keys(keys).map((name) => `  ${name}: { kind: fullstory-api-key, secret: { env: KEY_${name.toUpperCase()} } }`).join('\n');
    const path = join(tempDir('fullstory-check-'), 'session-sync.yaml');
    writeFileSync(path, `credentials:\n${credentials}\naccounts:\n${accounts}\n`);
    const env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      SESSION_SYNC_CONFIG: path,
      FULLSTORY_API_URL: sandbox.url,
      FULLSTORY_EU_API_URL: EU_API_URL,
      ...Object.fromEntries(Object.entries(keys).map(([name, value]) => [`KEY_${name.toUpperCase()}`, value])),
    };
    const printed: string[] = [];
    const checks = await checkCommand(loadConfig(env), database.db, env, {}, (line) => printed.push(line));
    const suffix = (value: string) => `…/${value.slice(-7)}`;
    expect(checks.map(checkLine)).toEqual([
      `ok   ${ORG}/events with credential architect (${suffix(keys.architect)})`,
      `FAIL ${ORG}/individuals with credential standard (${suffix(keys.standard)}): forbidden: credential standard (${suffix(keys.standard)}) is a Standard key; exporting needs Architect or Admin. Create an Architect key in FullStory (Settings > Integrations > API Keys) and update the secret of standard.`,
      `ok   ${ADMIN_ORG}/events with credential admin (${suffix(keys.admin)})`,
      `FAIL ${WRONG_ORG}/events with credential otherOrg (${suffix(keys.otherOrg)}): unauthorized: credential otherOrg (${suffix(keys.otherOrg)}) belongs to FullStory org o-7Q7-na1, not ${WRONG_ORG}: use a key of org ${WRONG_ORG}, or fix the account id in the config`,
      `FAIL ${NA_ORG}/events with credential european (${suffix(keys.european)}): unauthorized: credential european (${suffix(keys.european)}) is a key of FullStory's eu1 data centre, but org ${NA_ORG} is in na1: its requests go to ${EU_API_URL}, which does not know the org. Create a key in org ${NA_ORG} (na1, Settings > Integrations > API Keys) and update the secret of european, or fix the org id in the config.`,
    ]);
    // `check` prints what it prints to the operator: each line, and the Admin key's warning under its ok (exit 0 all the same).
    const adminWarning = `an Admin key: FullStory recommends the minimum level a tool needs, which is Architect (Admin can also change what FullStory captures). Create an Architect key (Settings > Integrations > API Keys) and update the secret of admin.`;
    expect(printed).toEqual([...checks.slice(0, 3).map(checkLine), `warning: ${ADMIN_ORG}/events with credential admin (${suffix(keys.admin)}): ${adminWarning}`, ...checks.slice(3).map(checkLine)]);
    expect(checks.map((check) => check.message)).toEqual([
      'ok; etl@example.com; Architect',
      expect.any(String),
      `ok; owner@example.com; Admin; ${adminWarning}`,
      expect.any(String),
      expect.any(String),
    ]);
    // The data-centre mismatch is told from the config and the key alone: no request for it.
    expect(sandbox.requests.map((r) => r.path)).toEqual(['/me', '/me', '/me', '/me']);
    const listed: string[] = [];
    const listings = await listCredentialsCommand(loadConfig(env), database.db, env, (line) => listed.push(line));
    expect(listings.find((listing) => listing.name === 'architect')?.key).toBe(suffix(keys.architect));
    expect(listed[0]).toMatch(new RegExp(`^architect\\s+fullstory-api-key\\s+…/${keys.architect.slice(-7)}\\s+env KEY_ARCHITECT\\s+${ORG}/events\\s+ok \\(etl@example\\.com; Architect\\) at \\S+Z`, 'm'));
  });
});
