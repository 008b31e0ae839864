import type { Attributes, Counter, Histogram, Meter, ObservableResult, ObservableUpDownCounter } from '@opentelemetry/api';
import type {
  CacheMessage,
  DocumentDbClientMessage,
  LoginMessage,
  RecoveryMessage,
  RotationStepMessage,
  SchedulerMessage,
  SecretsManagerCallMessage,
} from '../diagnostics/channels.js';

/**
 * The instruments of the bridge, by their OpenTelemetry names. Durations are histograms in
 * seconds (`s`), as the semantic conventions ask; counts of things are counters with a
 * `{thing}` unit; the number of open MongoClients is an asynchronous UpDownCounter (`.count`, not
 * plural) read from credstage's own count at each collection, so it is right also when the bridge
 * is installed after clients were opened.
 */
export const METRIC_NAMES = Object.freeze({
  secretsManagerCalls: 'credstage.secretsmanager.calls',
  secretsManagerCallDuration: 'credstage.secretsmanager.call.duration',
  cacheLookups: 'credstage.cache.lookups',
  cacheRefreshes: 'credstage.cache.refreshes',
  loginDuration: 'credstage.login.duration',
  recoveryDuration: 'credstage.recovery.duration',
  documentDbClientCount: 'credstage.documentdb.client.count',
  documentDbClientSwitches: 'credstage.documentdb.client.switches',
  rotationStepDuration: 'credstage.rotation.step.duration',
  schedulerEvents: 'credstage.scheduler.events',
} as const);

/**
 * The attribute keys. Values are ids, names, codes and outcomes only (never a secret value);
 * `credstage.secret.id` has one value per secret the process uses.
 */
export const ATTRIBUTES = Object.freeze({
  secretId: 'credstage.secret.id',
  outcome: 'credstage.outcome',
  errorType: 'error.type',
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  cacheResult: 'credstage.cache.result',
  background: 'credstage.cache.background',
  client: 'credstage.client',
  recoverySource: 'credstage.recovery.source',
  switchReason: 'credstage.documentdb.switch.reason',
  rotationStep: 'credstage.rotation.step',
  schedulerEvent: 'credstage.scheduler.event',
} as const);

// Buckets for durations in seconds: sub-millisecond cache-adjacent reads up to a minute-long rotation step.
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function seconds(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
}

/** `error.type` when there is an error code, nothing otherwise. */
function withError(attributes: Attributes, errorCode: string | undefined): Attributes {
  return errorCode === undefined ? attributes : { ...attributes, [ATTRIBUTES.errorType]: errorCode };
}

/** The instruments, and one recorder per channel that turns a message into measurements. */
export class CredstageMetrics {
  readonly #smCalls: Counter;
  readonly #smDuration: Histogram;
  readonly #lookups: Counter;
  readonly #refreshes: Counter;
  readonly #login: Histogram;
  readonly #recovery: Histogram;
  readonly #clients: ObservableUpDownCounter;
  readonly #observeClients: (result: ObservableResult) => void;
  readonly #switches: Counter;
  readonly #step: Histogram;
  readonly #scheduler: Counter;

  /** `openClients`: the MongoClients open now, per secret id (read at each collection). */
  constructor(meter: Meter, openClients: () => ReadonlyMap<string, number>) {
    const n = METRIC_NAMES;
    this.#smCalls = meter.createCounter(n.secretsManagerCalls, { unit: '{call}', description: 'Requests credstage sent to Secrets Manager, by API and outcome.' });
    this.#smDuration = seconds(meter, n.secretsManagerCallDuration, 'Time of one Secrets Manager request.');
    this.#lookups = meter.createCounter(n.cacheLookups, { unit: '{lookup}', description: 'SecretCache lookups by result: hit, miss, stale (served past its TTL).' });
    this.#refreshes = meter.createCounter(n.cacheRefreshes, { unit: '{refresh}', description: 'GetSecretValue fetches of the SecretCache, by outcome.' });
    this.#login = seconds(meter, n.loginDuration, 'Database logins of the connection factories, by outcome (ok, rejected, error).');
    this.#recovery = seconds(meter, n.recoveryDuration, 'Recoveries after a rejected password, by outcome and where credentials were found.');
    this.#clients = meter.createObservableUpDownCounter(n.documentDbClientCount, { unit: '{client}', description: 'MongoClients open now (the live one and retired ones finishing work).' });
    this.#observeClients = (result) => {
      for (const [secretId, open] of openClients()) result.observe(open, { [ATTRIBUTES.secretId]: secretId });
    };
    this.#clients.addCallback(this.#observeClients);
    this.#switches = meter.createCounter(n.documentDbClientSwitches, { unit: '{switch}', description: 'Moves of a DocumentDB client to a new MongoClient, by reason.' });
    this.#step = seconds(meter, n.rotationStepDuration, 'Rotation steps of the engine, by step and outcome.');
    this.#scheduler = meter.createCounter(n.schedulerEvents, { unit: '{event}', description: 'Decisions and outcomes of RotationScheduler, by type.' });
  }

  /** Stops reporting the open MongoClients (the synchronous instruments just stop being fed). */
  stop(): void {
    this.#clients.removeCallback(this.#observeClients);
  }

  secretsManagerCall(m: SecretsManagerCallMessage): void {
    const attributes = withError(
      {
        [ATTRIBUTES.rpcSystem]: 'aws-api',
        [ATTRIBUTES.rpcService]: 'SecretsManager',
        [ATTRIBUTES.rpcMethod]: m.api,
        [ATTRIBUTES.outcome]: m.outcome,
        ...(m.secretId === undefined ? {} : { [ATTRIBUTES.secretId]: m.secretId }),
      },
      m.errorCode,
    );
    this.#smCalls.add(1, attributes);
    this.#smDuration.record(m.durationMs / 1000, attributes);
  }

  cache(m: CacheMessage): void {
    const secret = { [ATTRIBUTES.secretId]: m.secretId };
    if (m.type === 'hit' || m.type === 'miss' || m.type === 'stale-served') {
      this.#lookups.add(1, { ...secret, [ATTRIBUTES.cacheResult]: m.type === 'stale-served' ? 'stale' : m.type });
    } else if (m.type === 'refresh') {
      this.#refreshes.add(1, { ...secret, [ATTRIBUTES.outcome]: 'ok', [ATTRIBUTES.background]: m.background });
    } else {
      this.#refreshes.add(1, withError({ ...secret, [ATTRIBUTES.outcome]: 'error', [ATTRIBUTES.background]: m.background }, m.errorCode));
    }
  }

  login(m: LoginMessage): void {
    const attributes = { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.client]: m.client, [ATTRIBUTES.outcome]: m.outcome };
    this.#login.record(m.durationMs / 1000, withError(attributes, m.errorCode));
  }

  recovery(m: RecoveryMessage): void {
    const attributes: Attributes = { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.outcome]: m.outcome };
    if (m.recoveredFrom !== undefined) attributes[ATTRIBUTES.recoverySource] = m.recoveredFrom;
    this.#recovery.record(m.durationMs / 1000, withError(attributes, m.errorCode));
  }

  /** Switches; `open` and `closed` are counted by credstage itself (see the constructor's `openClients`). */
  documentDbClient(m: DocumentDbClientMessage): void {
    if (m.type === 'switch') this.#switches.add(1, { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.switchReason]: m.reason });
  }

  rotationStep(m: RotationStepMessage): void {
    if (m.durationMs === undefined || m.outcome === undefined) return;
    const attributes = { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.rotationStep]: m.step, [ATTRIBUTES.outcome]: m.outcome };
    this.#step.record(m.durationMs / 1000, withError(attributes, m.errorCode));
  }

  scheduler(m: SchedulerMessage): void {
    this.#scheduler.add(1, withError({ [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.schedulerEvent]: m.type }, m.error?.code));
  }
}
