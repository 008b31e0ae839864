import { describe, expect, it } from 'vitest';
import { describeViolation, exploreRandomly, exploreSystematically, phases, runStory, type Scenario } from '../../support/rotation-explorer/explore.js';
import { SCENARIOS } from '../../support/rotation-explorer/scenarios.js';

/** Delay bound of the systematic search, and seeded-random schedules per scenario, in `npm test` (see `npm run test:explore`). */
const DEVIATIONS = Number(process.env.CREDSTAGE_EXPLORE_DEVIATIONS ?? 2);
const RANDOM_SCHEDULES = Number(process.env.CREDSTAGE_EXPLORE_RANDOM ?? 150);

describe('the rotation invariant over explored interleavings', () => {
  for (const scenario of SCENARIOS) {
    it(`holds for every schedule with ≤ ${DEVIATIONS} deviations and ${RANDOM_SCHEDULES} random ones: ${scenario.name}`, { timeout: 600_000 }, async () => {
      const started = performance.now();
      const systematic = await exploreSystematically(scenario, DEVIATIONS);
      const random = await exploreRandomly(scenario, RANDOM_SCHEDULES);

      const violations = [...systematic.violations, ...random.violations];
      expect(violations.map(describeViolation)).toEqual([]);
      expect(systematic.schedules).toBeGreaterThan(1);
      const ms = Math.round(performance.now() - started);
      const residual = systematic.residual + random.residual;
      console.log(`explored ${scenario.name}: ${systematic.schedules} systematic + ${random.schedules} random schedules, ${systematic.steps + random.steps} steps, ${systematic.completed + random.completed} rotated, ${residual} in the residual window, ${ms} ms`);
    });
  }
});

describe('regressions found by the explorer', () => {
  const base = { strategy: 'single-user', transactional: true } as const;
  /** Gates a run reaches only after its password change took effect. */
  const afterChange = (seen: { changed: boolean }) => (gate: string): boolean => {
    if (seen.changed) return true;
    if (/^db\.(setPassword|commit)/.test(gate)) seen.changed = true; // released next: the change happens
    return false;
  };

  for (const transactional of [true, false]) {
    const model = transactional ? 'PostgreSQL/Redshift' : 'DocumentDB';

    it(`lockout race (${model}): a run stalled right after its password change, while a run sharing its token finishes, never sets the old password back`, async () => {
      const scenario: Scenario = { ...base, transactional, name: 'same token', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }] };
      const seen = { changed: false };

      // A changes the password and stalls before it reads the stages again; B finishes; A goes on.
      const { problem, trace } = await runStory(scenario, phases({ run: 'A', until: afterChange(seen) }, { run: 'B', until: () => false }));

      expect(problem).toBeUndefined();
      const finished = trace.findIndex((line) => line === 'B: sm.UpdateSecretVersionStage');
      expect(finished).toBeGreaterThan(trace.findIndex((line) => /^A: db\.(setPassword|commit)/.test(line)));
      expect(trace.slice(finished).some((line) => line.startsWith('A: '))).toBe(true);
    });

    it(`a racing run whose put comes after another run claimed AWSPENDING and changed the password cannot take the label (${model})`, async () => {
      const scenario: Scenario = { ...base, transactional, name: 'own tokens', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't2' }] };
      const seen = { changed: false };

      // B reads the stages (nothing pending) and stalls before its put; A claims AWSPENDING and changes the password; B goes on.
      const { problem, trace } = await runStory(
        scenario,
        phases({ run: 'B', until: (gate) => gate === 'sm.PutSecretValue' }, { run: 'A', until: afterChange(seen) }, { run: 'B', until: () => false }),
      );

      expect(problem).toBeUndefined();
      expect(trace.indexOf('B: sm.PutSecretValue')).toBeGreaterThan(trace.findIndex((line) => /^A: db\.(setPassword|commit)/.test(line)));
    });
  }

  it('alternating users: a change made stale by a whole later rotation is never left in place (DocumentDB: repaired by the same run)', async () => {
    const runs = [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }, { name: 'C', token: 't2' }];
    for (const transactional of [true, false]) {
      const scenario: Scenario = { strategy: 'alternating-users', transactional, name: 'stale change', runs };

      // A stalls just before it changes the other user's password; B finishes t1; C rotates again; A goes on.
      const { problem, trace } = await runStory(
        scenario,
        phases({ run: 'A', until: (gate) => /^db\.(setPassword|begin\+alter)/.test(gate) }, { run: 'B', until: () => false }, { run: 'C', until: () => false }),
      );

      expect(problem).toBeUndefined();
      expect(trace.filter((line) => line === 'C: sm.UpdateSecretVersionStage').length).toBeGreaterThanOrEqual(3); // C's rotation finished
    }
  });
});
