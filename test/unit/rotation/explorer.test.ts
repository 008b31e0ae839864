import { describe, expect, it } from 'vitest';
import { describeViolation, exploreRandomly, exploreSystematically, replay, type Scenario } from '../../support/rotation-explorer/explore.js';
import { SCENARIOS } from '../../support/rotation-explorer/scenarios.js';

/** Delay bound of the systematic search, and seeded-random schedules per scenario, in `npm test`. */
const DEVIATIONS = 2;
const RANDOM_SCHEDULES = 150;

describe('the rotation invariant over explored interleavings', () => {
  for (const scenario of SCENARIOS) {
    it(`holds for every schedule with ≤ ${DEVIATIONS} deviations and ${RANDOM_SCHEDULES} random ones: ${scenario.name}`, async () => {
      const systematic = await exploreSystematically(scenario, DEVIATIONS);
      const random = await exploreRandomly(scenario, RANDOM_SCHEDULES);

      const violations = [...systematic.violations, ...random.violations];
      expect(violations.map(describeViolation)).toEqual([]);
      expect(systematic.schedules).toBeGreaterThan(1);
      console.log(`${scenario.name}: ${systematic.schedules} systematic + ${random.schedules} random schedules, ${systematic.steps + random.steps} steps`);
    });
  }
});

describe('regressions found by the explorer', () => {
  const sameToken: Scenario = {
    name: 'single-user, PostgreSQL/Redshift: two runs sharing a token',
    strategy: 'single-user',
    transactional: true,
    runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }],
  };

  it('lockout race: a run that changed the password and stalls while a run sharing its token finishes never sets the old password back', async () => {
    // A changes the password, stalls before its check; B finishes the rotation; A resumes.
    const choices = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    expect(await replay(sameToken, choices)).toBeUndefined();
    expect(await replay({ ...sameToken, transactional: false }, choices)).toBeUndefined();
  });
});
