/**
 * A fleet in one process: N credstage stacks (each its own SecretCache and DbCredentials, the
 * factories' recovery path) against ONE in-memory Secrets Manager that enforces per-second
 * quotas per API and adds latency, on a simulated clock. Prints, per fleet size and
 * fleet : quota ratio, today's policies ("before", an internal knob) and the new ones side by
 * side. A program, not a test: nothing here asserts.
 *
 *   npm run bench:fleet                 # the default matrix (about 5 minutes on 2 cores)
 *   npm run bench:fleet -- --sizes 10000 --only single-user   # 10,000 processes (about 3 minutes)
 *   npm run bench:fleet -- --sizes 100,1000 --ratios 1,4 --only single-user,stalled
 *
 * Sections (--only): single-user, alternating-users, stalled, steady, scheduler.
 */
process.env['AWS_ACCESS_KEY_ID'] ??= 'testing';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'testing';
process.env['AWS_REGION'] ??= 'us-east-1';
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

const { parseArgs } = await import('node:util');
const { runFleet, percentileOf } = await import('./support/fleet-sim.js');
type FleetResult = Awaited<ReturnType<typeof runFleet>>;
type FleetKind = FleetResult['scenario']['kind'];

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,2000' },
    ratios: { type: 'string', default: '1,4' },
    'other-sizes': { type: 'string', default: '1000' },
    'steady-size': { type: 'string', default: '100' },
    only: { type: 'string', default: 'single-user,alternating-users,stalled,steady,scheduler' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const ratios = values.ratios.split(',').map(Number);
const otherSizes = values['other-sizes'].split(',').map(Number);
const only = new Set(values.only.split(','));

const fmtMs = (ms: number): string => (Number.isNaN(ms) ? '—' : ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const perProcess = (count: number, n: number): string => (count / n).toFixed(2);

function row(r: FleetResult): string {
  const n = r.scenario.processes;
  const api = (name: string): number => (r.calls.get(name)?.ok ?? 0) + (r.calls.get(name)?.throttled ?? 0);
  const gsv = api('GetSecretValue');
  const throttled = [...r.calls.values()].reduce((s, c) => s + c.throttled, 0);
  const cols = [
    n.toLocaleString('en-US'),
    `${r.scenario.ratio} : 1`,
    r.scenario.legacy ? 'before' : 'new',
    perProcess(gsv - r.ttlCalls, n),
    perProcess(r.ttlCalls, n),
    perProcess(api('DescribeSecret'), n),
    String(api('PutSecretValue')),
    String(api('UpdateSecretVersionStage')),
    throttled.toLocaleString('en-US'),
    `${fmtMs(percentileOf(r.connectMs, 50))} / ${fmtMs(percentileOf(r.connectMs, 99))} / ${fmtMs(percentileOf(r.connectMs, 100))}`,
    `${fmtMs(percentileOf(r.firstConnectMs, 50))} / ${fmtMs(percentileOf(r.firstConnectMs, 99))} / ${fmtMs(percentileOf(r.firstConnectMs, 100))}`,
    String(r.failed),
    fmtMs(r.convergedMs),
    `${(r.realMs / 1000).toFixed(1)} s`,
  ];
  return `| ${cols.join(' | ')} |`;
}

const HEADER =
  '| processes | fleet : quota | code | GetSecretValue / process (rotation) | GetSecretValue / process (TTL refresh, same span) | DescribeSecret / process | PutSecretValue | UpdateSecretVersionStage | throttled | connect p50 / p99 / max (all, 30 s from setSecret) | first connect after setSecret p50 / p99 / max | failed | fleet on new version after | real time |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';

async function table(title: string, kind: FleetKind, fleetSizes: number[]): Promise<void> {
  console.log(`\n### ${title}\n`);
  console.log(HEADER);
  for (const processes of fleetSizes) {
    for (const ratio of ratios) {
      for (const legacy of [true, false]) console.log(row(await runFleet({ kind, processes, ratio, legacy })));
    }
  }
}

const started = performance.now();
console.log(`credstage fleet simulation — node ${process.version}, ${(await import('node:os')).cpus().length} cores; simulated clock, seed 1`);
console.log('Each process opens 1 new connection per second at its own phase; Secrets Manager answers in 10-40 ms; a login takes 5 ms.');
if (only.has('single-user')) await table('Single-user rotation (createSecret, setSecret 1 s later, finishSecret 2 s after that)', 'single-user', sizes);
if (only.has('alternating-users')) await table('Alternating-users rotation (measured until every cache refreshed AWSCURRENT: up to one TTL after finishSecret)', 'alternating-users', otherSizes);
if (only.has('stalled')) await table('Single-user rotation that stalls 120 s between setSecret and finishSecret', 'stalled', otherSizes);

if (only.has('steady')) console.log('\n### Steady state (no rotation), 1 simulated hour, TTL 300 s\n');
if (only.has('steady')) console.log('| processes | code | GetSecretValue per process per hour | bound 3600 / TTL | real time |\n|---|---|---|---|---|');
for (const legacy of only.has('steady') ? [true, false] : []) {
  const r = await runFleet({ kind: 'steady', processes: Number(values['steady-size']), ratio: 1, legacy });
  const gsv = (r.calls.get('GetSecretValue')?.ok ?? 0) + (r.calls.get('GetSecretValue')?.throttled ?? 0);
  console.log(`| ${r.scenario.processes} | ${legacy ? 'before' : 'new'} | ${(gsv / r.scenario.processes).toFixed(2)} | ${(3_600_000 / 300_000).toFixed(0)} | ${(r.realMs / 1000).toFixed(1)} s |`);
}
if (only.has('scheduler')) {
  const { schedulerTable } = await import('./support/fleet-scheduler.js');
  await schedulerTable();
}
console.log(`\ntotal real time ${((performance.now() - started) / 1000).toFixed(0)} s`);
