import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSchedulerConfig } from '../../../src/cli/schedule.js';
import { InvalidOptionError } from '../../../src/errors.js';

const ENTRY = { secretId: 'Applications/MyApp/Redshift', schedule: 'rate(30 days)' };
const entries = (third: Record<string, unknown>) => [ENTRY, { ...ENTRY, secretId: 'b' }, { ...ENTRY, secretId: 'c', ...third }];

/** [what, the file's JSON text, the option the error must name] */
const BAD: Array<[string, string, string]> = [
  ['a file holding a list', '--config', '[]'],
  ['a file holding null', '--config', 'null'],
  ['no secrets', 'secrets', '{}'],
  ['secrets that are not a list', 'secrets', '{ "secrets": {} }'],
  ['an empty list of secrets', 'secrets', '{ "secrets": [] }'],
  ['an unknown top-level key', 'checkInterval', JSON.stringify({ secrets: [ENTRY], checkInterval: 60 })],
  ['a region that is a number', 'region', JSON.stringify({ secrets: [ENTRY], region: 5 })],
  ['an empty region', 'region', JSON.stringify({ secrets: [ENTRY], region: '' })],
  ['an endpoint that is not a URL', 'endpoint', JSON.stringify({ secrets: [ENTRY], endpoint: 'localhost' })],
  ['an endpoint that is a number', 'endpoint', JSON.stringify({ secrets: [ENTRY], endpoint: 4566 })],
  ['checkIntervalSeconds as a string', 'checkIntervalSeconds', JSON.stringify({ secrets: [ENTRY], checkIntervalSeconds: '60' })],
  ['checkIntervalSeconds below 1', 'checkIntervalSeconds', JSON.stringify({ secrets: [ENTRY], checkIntervalSeconds: 0.5 })],
  ['checkIntervalSeconds negative', 'checkIntervalSeconds', JSON.stringify({ secrets: [ENTRY], checkIntervalSeconds: -60 })],
  // 30 days: more milliseconds than setInterval honours (it would fire every 1 ms).
  ['checkIntervalSeconds of 30 days', 'checkIntervalSeconds', JSON.stringify({ secrets: [ENTRY], checkIntervalSeconds: 2_592_000 })],
  ['checkIntervalSeconds of 1e999 (Infinity)', 'checkIntervalSeconds', `{ "secrets": [${JSON.stringify(ENTRY)}], "checkIntervalSeconds": 1e999 }`],
  ['a rotation block that is a string', 'rotation', JSON.stringify({ secrets: [ENTRY], rotation: 'tls' })],
  ['a negative rotation.connectTimeoutMs', 'rotation.connectTimeoutMs', JSON.stringify({ secrets: [ENTRY], rotation: { connectTimeoutMs: -1 } })],
  ['an unknown key in rotation', 'rotation.tlsCaFile', JSON.stringify({ secrets: [ENTRY], rotation: { tlsCaFile: '/ca.pem' } })],
  ['a password policy that fits no engine', 'rotation.passwordPolicy.length', JSON.stringify({ secrets: [ENTRY], rotation: { passwordPolicy: { length: 6 } } })],
  ['an entry that is a string', 'secrets[1]', JSON.stringify({ secrets: [ENTRY, 'b'] })],
  ['the same secret twice', 'secrets[1].secretId', JSON.stringify({ secrets: [ENTRY, ENTRY] })],
  ['an unknown key in an entry', 'secrets[2].rotate', JSON.stringify({ secrets: entries({ rotate: true }) })],
  ['window: 5', 'secrets[2].window', JSON.stringify({ secrets: entries({ window: 5 }) })],
  ["strategy: 'bogus'", 'secrets[2].strategy', JSON.stringify({ secrets: entries({ strategy: 'bogus' }) })],
  ['a schedule that is a number', 'secrets[2].schedule', JSON.stringify({ secrets: entries({ schedule: 30 }) })],
  ['a strategy inside rotation', 'secrets[2].rotation.strategy', JSON.stringify({ secrets: entries({ rotation: { strategy: 'single-user' } }) })],
  ['a queryTimeoutMs of 1e999 (Infinity)', 'secrets[1].rotation.queryTimeoutMs', `{ "secrets": [${JSON.stringify(ENTRY)}, { "secretId": "b", "rotation": { "queryTimeoutMs": 1e999 } }] }`],
  ['a password length as a string', 'secrets[2].rotation.passwordPolicy.length', JSON.stringify({ secrets: entries({ rotation: { passwordPolicy: { length: '32' } } }) })],
  ['an empty tlsCAFile', 'secrets[2].rotation.tlsCAFile', JSON.stringify({ secrets: entries({ rotation: { tlsCAFile: '' } }) })],
];

describe('readSchedulerConfig', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credstage-schedule-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function file(text: string): Promise<string> {
    const path = join(dir, `config-${n++}.json`);
    await writeFile(path, text);
    return path;
  }

  it.each(BAD)('refuses %s at load, naming %s', async (_what, option, text) => {
    const err = await readSchedulerConfig(await file(text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe(option);
  });

  it('accepts a complete config and returns it', async () => {
    const config = {
      region: 'us-west-2',
      endpoint: 'http://127.0.0.1:4566',
      checkIntervalSeconds: 2_147_483,
      rotation: { tlsCAFile: '/opt/rotation/global-bundle.pem', connectTimeoutMs: 2_000, passwordPolicy: { length: 40, excludeCharacters: '%' } },
      secrets: [
        { secretId: 'Applications/MyApp/Documentdb-instance', schedule: 'rate(30 days)', window: '3h' },
        { secretId: 'Applications/MyApp/Redshift', schedule: 'cron(0 16 ? * 2 *)', strategy: 'alternating-users', rotation: { queryTimeoutMs: 10_000 } },
        { secretId: 'Applications/MyApp/Other' },
      ],
    };
    expect(await readSchedulerConfig(await file(JSON.stringify(config)))).toEqual(config);
  });
});
