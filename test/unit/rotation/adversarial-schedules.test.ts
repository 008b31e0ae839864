import { describe, expect, it } from 'vitest';
import { exploreRandomly, exploreSystematically, modelWorld, phases, runStory, type Scenario, type WorldFactory } from '../../support/rotation-explorer/explore.js';

/**
 * Schedules found by an adversarial review of the rotation engine, beyond what the explorer's
 * default bounds reach. Each test states the behaviour the design promises (DESIGN.md 7.1); each
 * failed on the engine before its fix.
 */

/** A predicate for `phases`: true once `run` waits at `stopAt` after it made every call in `after`, in order. */
function afterCalls(after: readonly RegExp[], stopAt: RegExp): (gate: string) => boolean {
  let next = 0;
  return (gate) => {
    if (next >= after.length && stopAt.test(gate)) return true;
    if (next < after.length && after[next]!.test(gate)) next++;
    return false;
  };
}

describe('DocumentDB (no transactions), single user: a late change', () => {
  const runs = [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }, { name: 'C', token: 't2' }];

  it('a run stalled between its pre-change check and its change, while its token finishes and a later rotation sets and tests its password, never leaves AWSCURRENT rejected', async () => {
    const scenario: Scenario = { strategy: 'single-user', transactional: false, name: 'stale write over a later rotation', runs };

    const { problem, trace } = await runStory(
      scenario,
      phases(
        // A checked the stages (t1 pending) and waits to send updateUser.
        { run: 'A', until: (gate) => gate.startsWith('db.setPassword(') },
        // B, sharing t1, finishes the rotation: t1 is AWSCURRENT.
        { run: 'B', until: () => false },
        // C rotates again (t2): sets its password, tests it, and waits right before finishSecret.
        { run: 'C', until: afterCalls([/^db\.setPassword\(/, /^db\.canLogIn\(/], /^sm\.DescribeSecret$/) },
        // A's stale updateUser lands; its post-check sees t1 AWSCURRENT and calls it "changed".
        { run: 'A', until: () => false },
      ),
    );

    expect(trace).toContain('C: db.setPassword(app)');
    expect(trace.indexOf('A: db.setPassword(app)')).toBeGreaterThan(trace.lastIndexOf('C: db.canLogIn(app)'));
    expect(problem).toBeUndefined();
  });

  it('the explorer finds the stale write with three deviations (its default bound is two)', async () => {
    const scenario: Scenario = { strategy: 'single-user', transactional: false, name: 'three runs, DocumentDB', runs };

    const result = await exploreSystematically(scenario, 3, 20_000);

    expect(result.violations.map((v) => v.problem)).toEqual([]);
  }, 120_000);
});

describe('alternating users never re-passwords a user outside the pair it created', () => {
  it("refuses an app secret whose username names another application's user as `<user>_clone` (the other user is not the current user's clone)", async () => {
    const { InMemorySecretsManager } = await import('../../../src/testing/in-memory-secrets-manager.js');
    const { FakeDatabase, secretIn, secretJson } = await import('../../support/fake-database.js');
    const { rotateSecret } = await import('../../../src/rotation/index.js');
    const sm = new InMemorySecretsManager();
    // `billing` belongs to another team; `billing_clone` does not exist. The master administers both apps.
    const db = new FakeDatabase().addUser('admin', 'Admin-Pw-1', { admin: true }).addUser('billing', 'Billing-Pw-1', { roles: ['billing_rw'] });
    await secretIn(sm, 'master', secretJson({ username: 'admin', password: 'Admin-Pw-1' }));
    const masterArn = (await sm.send({ name: 'DescribeSecret', input: { SecretId: 'master' } })).ARN;
    // Whoever may write the app secret (not the master, not billing's) names `billing_clone` as its user.
    await secretIn(sm, 'app', secretJson({ username: 'billing_clone', password: 'whatever', masterarn: masterArn }));

    const outcome = await rotateSecret({ secretId: 'app', secretsManager: sm, adapter: db.adapter(), strategy: 'alternating-users' }).then(
      () => 'rotated',
      (err: Error) => err.message,
    );

    // billing's password is now in the app secret's AWSCURRENT: readable by whoever wrote it.
    expect({ outcome, billingKeepsItsPassword: db.accepts('billing', 'Billing-Pw-1') }).toEqual({ outcome: expect.stringContaining('billing'), billingKeepsItsPassword: true });
  });
});

describe('DocumentDB: the repair window', () => {
  it('a run whose late change locked clients out and that dies before its repair leaves a lockout that the next rotation heals (the residual DocumentDB window)', async () => {
    const scenario: Scenario = {
      strategy: 'single-user',
      transactional: false,
      name: 'stale write, then death',
      runs: [{ name: 'A', token: 't1', crashable: true }, { name: 'B', token: 't1' }, { name: 'C', token: 't2' }],
    };
    let died = false;
    const story = phases(
      { run: 'A', until: (gate) => gate.startsWith('db.setPassword(') },
      { run: 'B', until: () => false },
      { run: 'C', until: () => false },
      // A's stale updateUser lands (t1 is AWSPREVIOUS by now): the window opens.
      { run: 'A', until: afterCalls([/^db\.setPassword\(/], /^sm\.DescribeSecret$/) },
    );

    // ...and A dies (a Lambda timeout, OOM, SIGKILL) before its post-change check.
    const { problem, trace } = await runStory(scenario, (view) => {
      const run = story(view);
      if (!died && run === 'A' && view.gateOf('A') === 'sm.DescribeSecret' && view.enabled.length === 1) {
        died = true;
        return '!A';
      }
      return run;
    });

    expect(trace).toContain('A dies before sm.DescribeSecret');
    expect(trace).toContain('-- A died inside its repair window: from here on only the next rotation can heal');
    expect(problem).toBeUndefined(); // the explorer ran the next rotation alone and AWSCURRENT logs in again
  });
});

describe('the explorer cannot pass vacuously', () => {
  it('reports a scenario in which no schedule ever completes a rotation (an engine that never gets past setSecret)', async () => {
    // The model database, except that every login fails like a closed port: no run can rotate.
    const unreachable: WorldFactory = async (scenario, controller) => {
      const world = await modelWorld(scenario, controller);
      return {
        ...world,
        adapterFor: (run) => {
          const real = world.adapterFor(run);
          const down = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
          return { ...real, canLogIn: down, openSession: down };
        },
      };
    };
    const scenario: Scenario = { strategy: 'single-user', transactional: true, name: 'database unreachable', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't2' }] };

    const systematic = await exploreSystematically(scenario, 2, Number.POSITIVE_INFINITY, { world: unreachable });
    const random = await exploreRandomly(scenario, 50, 1, { world: unreachable });

    expect([...systematic.violations, ...random.violations].length).toBeGreaterThan(0);
    expect(systematic.completed + random.completed).toBe(0);
  });
});

describe('the credstage-created label and leftover AWSPENDING', () => {
  it('an old token whose version kept credstage-created (its removal failed) and is now AWSPREVIOUS is not claimed again: its old password never comes back', async () => {
    const { InMemorySecretsManager } = await import('../../../src/testing/in-memory-secrets-manager.js');
    const { FakeDatabase, secretIn, secretJson } = await import('../../support/fake-database.js');
    const { rotateSecret } = await import('../../../src/rotation/index.js');
    const sm = new InMemorySecretsManager();
    const db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    await secretIn(sm, 'app', secretJson());
    // First rotation: the UpdateSecretVersionStage that removes credstage-created fails (throttled); createSecret swallows it.
    let updates = 0;
    const flaky = {
      send: async (command: any) => {
        if (command.constructor.name === 'UpdateSecretVersionStageCommand' && ++updates === 2) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        }
        return sm.send(command);
      },
    };
    const first = await rotateSecret({ secretId: 'app', secretsManager: flaky as never, adapter: db.adapter() });
    const oldPassword = JSON.parse((await sm.send({ name: 'GetSecretValue', input: { SecretId: 'app' } })).SecretString).password as string;
    // An operator sets a new password by hand (console + ALTER USER): the first version is AWSPREVIOUS now.
    db.users.get('app')!.password = 'Manual-Pw-2';
    await sm.send({ name: 'PutSecretValue', input: { SecretId: 'app', SecretString: secretJson({ password: 'Manual-Pw-2' }) } });

    // Someone re-runs the first rotation by its token (a retry script, `credstage rotate --token`).
    const outcome = await rotateSecret({ secretId: 'app', secretsManager: sm, adapter: db.adapter(), clientRequestToken: first.clientRequestToken }).then(
      () => 'rotated',
      (err: Error) => err.message,
    );

    expect({ outcome, oldPasswordWorksAgain: db.accepts('app', oldPassword) }).toEqual({ outcome: expect.stringContaining('older than AWSCURRENT'), oldPasswordWorksAgain: false });
  });
});
