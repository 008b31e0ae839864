import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { servers } from '../../support/servers.js';
import { DEMO, LineProcess } from './support.js';

interface Row {
  database: string;
  client: string;
  ok: number;
  failed: number;
  p99Ms: number;
}

/** The rows of the summary table the demo prints at the end. */
function summaryRows(stdout: string): Row[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^database\s+client\s+ok\s+failed\s+p99 ms$/.test(l));
  if (header < 0) throw new Error(`no summary table in:\n${stdout}`);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    const m = /^(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s+([\d.]+)$/.exec(line);
    if (!m) break;
    rows.push({ database: m[1]!, client: m[2]!, ok: Number(m[3]), failed: Number(m[4]), p99Ms: Number(m[5]) });
  }
  return rows;
}

/** A process's start time (in clock ticks since boot) and state, or undefined once it is gone. */
function procStat(pid: number): { ppid: number; state: string; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), startTicks: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root`, with its start time (so a reused pid is not mistaken for it). */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  const found = new Map<number, string>();
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      const stat = procStat(child);
      if (stat && !found.has(child)) {
        found.set(child, stat.startTicks);
        queue.push(child);
      }
    }
  }
  return found;
}

/** The processes of `before` that are still running (not exited, not a zombie waiting to be reaped). */
function stillRunning(before: Map<number, string>): number[] {
  return [...before].filter(([pid, start]) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.startTicks === start && stat.state !== 'Z' && stat.state !== 'X';
  }).map(([pid]) => pid);
}

/** Temp dirs the servers of process `pid` made (`credstage-<server>-<pid>-*`). */
function tempDirsOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => new RegExp(`^credstage-[a-z]+-${pid}-`).test(name));
}

describe('npm run demo (tools/demo/cli.ts)', () => {
  afterEach(() => LineProcess.killAll());

  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credstage-demo-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs end to end in a short mode: exit 0, no failed operation through credstage, an HTML report with a chart per client', async () => {
    const report = join(dir, 'r.html');

    const demo = LineProcess.start(DEMO, ['--rotations', '3', '--interval', '1', '--pause', '0.5', '--report', report], { killAfterMs: 110_000 });
    const { code, stdout, stderr } = await demo.exited();

    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const rows = summaryRows(stdout);
    // FerretDB is available wherever the integration tests run, so both halves run.
    expect(rows.map((r) => `${r.database} ${r.client}`)).toEqual([
      'redshift credstage getRedshiftPool',
      'redshift read once at start-up (seed)',
      'redshift refresh AWSCURRENT only',
      'documentdb credstage getDocumentDbClient',
      'documentdb read once at start-up (seed)',
      'documentdb refresh AWSCURRENT only',
    ]);
    for (const row of rows.filter((r) => r.client.startsWith('credstage'))) {
      expect(row, row.client).toMatchObject({ failed: 0 });
      expect(row.ok).toBeGreaterThan(0);
    }
    // The seed's app keeps its start-up password: after the first rotation every new connection fails.
    for (const row of rows.filter((r) => r.client.startsWith('read once'))) expect(row.failed, row.database).toBeGreaterThan(0);
    expect(stdout).toMatch(/rotations 3\/3/);
    expect(stdout).not.toMatch(/skipped/);
    const html = await readFile(report, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(12); // throughput and latency, for each of 6 clients
    expect(html).toContain('<td>credstage getRedshiftPool</td>');
    expect(html).not.toMatch(/<script|https?:\/\//);
    // Regression: the time axis was labelled at rounded quarters (0s 2s 4s 5s 7s).
    const firstChart = html.slice(html.indexOf('<svg '), html.indexOf('</svg>'));
    // Each of the 3 rotations: its window from the password change to the AWSCURRENT move.
    expect(firstChart.match(/fill="#f5a62333"/g)).toHaveLength(3);
    const labelsS = [...firstChart.matchAll(/>(\d+)s<\/text>/g)].map((m) => Number(m[1]));
    expect(labelsS.length).toBeGreaterThanOrEqual(2);
    expect(labelsS).toEqual(labelsS.map((_, i) => i * labelsS[1]!));
  });

  it('without a FerretDB binary says in one line how to add it and runs the Redshift half', async () => {
    const demo = LineProcess.start(DEMO, ['--rotations', '1', '--interval', '1', '--pause', '0.5'], {
      env: { CREDSTAGE_FERRETDB_BIN: join(dir, 'no-such-ferretdb') },
      killAfterMs: 90_000,
    });
    const { code, stdout, stderr } = await demo.exited();

    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const rows = summaryRows(stdout);
    expect(rows.map((r) => r.database)).toEqual(['redshift', 'redshift', 'redshift']);
    expect(rows.find((r) => r.client.startsWith('credstage'))).toMatchObject({ failed: 0 });
    const skipped = demo.lines.filter((l) => l.includes('DocumentDB half skipped'));
    expect(skipped[0]).toMatch(/FerretDB binary not found at .*no-such-ferretdb.*build-ferretdb\.sh/);
  });

  it('runs against a Secrets Manager endpoint (moto) with --endpoint and deletes the secrets it created', async () => {
    const { endpoint, region } = servers().moto;
    const sm = new SecretsManagerClient({ endpoint, region });
    const demoSecrets = async () =>
      ((await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['demo/'] }] }))).SecretList ?? []).map((s) => s.Name);
    const before = await demoSecrets();
    const demo = LineProcess.start(DEMO, ['--rotations', '2', '--interval', '1', '--pause', '0.5', '--no-documentdb', '--endpoint', endpoint, '--region', region], {
      killAfterMs: 90_000,
    });
    const created = demo.waitForLine((line) => line.startsWith('load:'), 80_000).then(demoSecrets);
    const { code, stdout, stderr } = await demo.exited();

    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(summaryRows(stdout).find((r) => r.client.startsWith('credstage'))).toMatchObject({ failed: 0 });
    expect(stdout).toMatch(/rotations 2\/2/);
    expect((await created).length).toBe(before.length + 1); // the Redshift half's secret lived in moto
    expect(await demoSecrets()).toEqual(before);
    sm.destroy();
  });

  it('on SIGINT exits 130 and leaves no server process or temp dir behind', async () => {
    const demo = LineProcess.start(DEMO, ['--rotations', '100', '--interval', '1', '--pause', '0.5'], { killAfterMs: 90_000 });
    await demo.waitForLine((line) => line.startsWith('load:'), 80_000);
    const started = descendants(demo.pid);
    const dirs = tempDirsOf(demo.pid);

    demo.signal('SIGINT');
    const { code, stderr } = await demo.exited();

    expect(code, stderr).toBe(130);
    // PostgreSQL (postmaster and backends) and FerretDB were running under the demo.
    expect(started.size).toBeGreaterThanOrEqual(2);
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    expect(stillRunning(started)).toEqual([]);
    expect(tempDirsOf(demo.pid)).toEqual([]);
    expect(dirs.filter((d) => existsSync(join(tmpdir(), d)))).toEqual([]);
    expect(stderr).toContain('interrupted');
  });
});
