import { writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemporalSettings } from '../temporal/temporal-settings.js';
import { tempDir } from './support/temp-dir.js';

const KEY = 'tk_0123456789abcdefghijklmnopqrstuvwxyz';

function load(env: Record<string, string>) {
  const problems: string[] = [];
  const settings = loadTemporalSettings(env, problems);
  return { settings, problems };
}

function tomlFile(text: string): string {
  const file = join(tempDir('session-sync-temporal-settings-'), 'temporal.toml');
  writeFileSync(file, text);
  return file;
}

describe("Temporal's standard client settings", () => {
  it('reads a temporal.toml profile, with the TEMPORAL_* variables over the file as in the Temporal CLI', () => {
    const file = tomlFile(`[profile.default]\naddress = "a:7233"\n[profile.prod]\naddress = "prod.a1b2c.tmprl.cloud:7233"\nnamespace = "prod.a1b2c"\napi_key = "${KEY}"\n`);
    const fromFile = load({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(fromFile.problems).toEqual([]);
    expect([fromFile.settings?.address, fromFile.settings?.namespace, fromFile.settings?.describe()]).toEqual(['prod.a1b2c.tmprl.cloud:7233', 'prod.a1b2c', 'prod.a1b2c.tmprl.cloud:7233 (TLS, API key tk_****xyz)']);
    expect(fromFile.settings?.names.apiKey).toBe(`api_key in profile "prod" of ${file} (or TEMPORAL_API_KEY)`);
    const overridden = load({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'staging.a1b2c', TEMPORAL_TLS: 'false' });
    expect([overridden.settings?.namespace, overridden.settings?.usesTls, overridden.settings?.names.namespace]).toEqual(['staging.a1b2c', false, 'TEMPORAL_NAMESPACE']);
    expect(load({ TEMPORAL_CONFIG_FILE: file }).settings?.address).toBe('a:7233');
  });

  it('works without HOME, as in a container, from the variables the Temporal Worker Controller injects', () => {
    const { settings, problems } = load({ TEMPORAL_ADDRESS: 'prod.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'prod.a1b2c', TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/temporal/tls/tls.crt', TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/temporal/tls/tls.key' });
    // The pair is read at start-up; here it does not exist, and the problem says where it looked.
    expect(settings).toBeUndefined();
    expect(problems).toEqual(["cannot read a TLS file of Temporal's settings at /etc/temporal/tls/tls.crt (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH): ENOENT"]);
    expect(load({ TEMPORAL_ADDRESS: '127.0.0.1:7233' })).toMatchObject({ problems: [], settings: { address: '127.0.0.1:7233', namespace: 'default' } });
  });

  it('names every problem: a file named but missing, an unknown profile, half an mTLS pair, a setting the TypeScript SDK ignores', () => {
    expect(load({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }).problems).toEqual(['TEMPORAL_CONFIG_FILE names /nonexistent/temporal.toml, which does not exist']);
    const file = tomlFile('[profile.default]\naddress = "a:7233"\n');
    expect(load({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }).problems).toEqual([`cannot read Temporal's config file ${file} (TEMPORAL_CONFIG_FILE): Profile 'prod' not found in config data`]);
    expect(load({ TEMPORAL_PROFILE: 'prod', HOME: '/nonexistent' }).problems).toEqual(['TEMPORAL_PROFILE is prod, but there is no temporal.toml to read it from: set TEMPORAL_CONFIG_FILE or create /nonexistent/.config/temporalio/temporal.toml']);
    expect(load({ TEMPORAL_ADDRESS: 'a:7233', TEMPORAL_TLS_CLIENT_CERT_DATA: 'x', TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }).problems).toEqual([
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by the TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME to a name in the server's certificate instead",
      'TEMPORAL_TLS_CLIENT_CERT_DATA is set but not the client key (TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA): mTLS needs both',
    ]);
    expect(load({}).problems).toEqual(['TEMPORAL_ADDRESS is required']);
  });

  it('never shows the API key or the client key: JSON and inspect show how it connects', () => {
    const { settings } = load({ TEMPORAL_ADDRESS: 'a:7233', TEMPORAL_API_KEY: KEY, TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'PRIVATE-KEY-BYTES' });
    const shown = [JSON.stringify({ settings }), inspect(settings), String(settings?.describe())].join('\n');
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain('PRIVATE-KEY-BYTES');
    expect(JSON.stringify({ settings })).toBe('{"settings":"a:7233 (TLS, client certificate, API key tk_****xyz)"}');
    expect(settings?.connectionOptions().apiKey).toBe(KEY);
  });
});
