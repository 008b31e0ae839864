import { channel, tracingChannel } from 'node:diagnostics_channel';
import { ERROR_CODES } from '../errors.js';
import { monotonicMs, type Clock } from '../internal/clock.js';
import {
  CHANNELS,
  type CacheMessage,
  type DocumentDbClientMessage,
  type LoginMessage,
  type RecoveryMessage,
  type RotationStepMessage,
  type SchedulerMessage,
  type SecretsManagerCallMessage,
} from './channels.js';

// One object per name, made once: `hasSubscribers` is a field read, so an emission point with
// no subscriber costs a property load and a branch.
const cacheChannel = channel(CHANNELS.cache);
const secretsManagerChannel = channel(CHANNELS.secretsManagerCall);
const loginChannel = channel(CHANNELS.login);
const recoveryChannel = channel(CHANNELS.recovery);
const documentDbChannel = channel(CHANNELS.documentDbClient);
const rotationStepChannel = tracingChannel<RotationStepMessage, RotationStepMessage>(CHANNELS.rotationStep);
const schedulerChannel = channel(CHANNELS.scheduler);

/** The string `code` of an error (credstage's, a driver's, Node's), if it has one. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

/** True when someone listens on `credstage:cache`: the hit path builds no event otherwise. */
export function cacheObserved(): boolean {
  return cacheChannel.hasSubscribers;
}

/** A cache event as the cache emits it to `onEvent`: `error` carries the error object. */
export type CacheEventLike =
  | Exclude<CacheMessage, { type: 'error' }>
  | (Omit<Extract<CacheMessage, { type: 'error' }>, 'errorCode' | 'retryable'> & { error: { code: string; retryable: boolean } });

/** Publishes a cache event on `credstage:cache` (the error as its code, not the object). */
export function publishCache(event: CacheEventLike): void {
  if (!cacheChannel.hasSubscribers) return;
  if (event.type !== 'error') {
    cacheChannel.publish(event);
    return;
  }
  const { error, ...rest } = event;
  cacheChannel.publish({ ...rest, errorCode: error.code, retryable: error.retryable } satisfies CacheMessage);
}

/** A login event as the factories emit it. */
type LoginEventLike = Omit<LoginMessage, 'client'>;

/** Publishes a factory's login on `credstage:login`; returns the event, so it wraps an emit call. */
export function publishLogin<E extends LoginEventLike>(client: LoginMessage['client'], event: E): E {
  if (loginChannel.hasSubscribers) loginChannel.publish({ ...event, client } satisfies LoginMessage);
  return event;
}

/**
 * Publishes what a DocumentDB client emits to `onEvent` that a channel carries: logins on
 * `credstage:login`, switches on `credstage:documentdb:client`; the rest only goes to `onEvent`.
 */
export function publishDocumentDbEvent(event: { type: string }): void {
  if (event.type === 'login') {
    publishLogin('documentdb', event as LoginEventLike);
  } else if (event.type === 'client-switch' && documentDbChannel.hasSubscribers) {
    documentDbChannel.publish({ ...(event as unknown as Omit<Extract<DocumentDbClientMessage, { type: 'switch' }>, 'type'>), type: 'switch' });
  }
}

// MongoClients open now, per secret id, kept whether or not anyone listens (a map update per
// MongoClient built or closed), so that a meter installed late reads the true number instead of
// counting closes it never saw opened. On globalThis under a registered symbol: the ESM and the
// CommonJS copy of credstage in one process count into the same map.
const OPEN_CLIENTS_KEY = Symbol.for('credstage.documentdb.openClients');
const openClients: Map<string, number> = ((globalThis as Record<symbol, unknown>)[OPEN_CLIENTS_KEY] ??= new Map<string, number>()) as Map<string, number>;

/** The MongoClients of every DocumentDB client of the process open now, per secret id (0 once all closed). */
export function openDocumentDbClients(): ReadonlyMap<string, number> {
  return openClients;
}

/** Counts a MongoClient built or closed and publishes it on `credstage:documentdb:client`. */
export function publishDocumentDbClient(message: Exclude<DocumentDbClientMessage, { type: 'switch' }>): void {
  openClients.set(message.secretId, (openClients.get(message.secretId) ?? 0) + (message.type === 'open' ? 1 : -1));
  if (documentDbChannel.hasSubscribers) documentDbChannel.publish(message);
}

/** Publishes a scheduler event on `credstage:scheduler`; returns it, so it wraps an emit call. */
export function publishScheduler<E extends SchedulerMessage>(event: E): E {
  if (schedulerChannel.hasSubscribers) schedulerChannel.publish(event);
  return event;
}

// ---- Secrets Manager calls ------------------------------------------------------------------

/** What credstage's code needs of a Secrets Manager client (structurally `SecretsManagerLike`). */
interface SendsCommands {
  send(command: any, options?: any): Promise<any>;
  destroy?(): void;
}

const OBSERVED = new WeakSet<object>();

/** `GetSecretValue` from an SDK command (`GetSecretValueCommand`) or a `{ name, input }` command. */
function apiOf(command: unknown): string {
  const c = command as { name?: unknown; constructor?: { name?: unknown } } | null | undefined;
  const name = typeof c?.name === 'string' ? c.name : c?.constructor?.name;
  return typeof name === 'string' ? name.replace(/Command$/, '') : 'Unknown';
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** An AWS error's `name` (ThrottlingException), else a Node error's `code` (ECONNREFUSED), else its name. */
function awsErrorCode(err: unknown): string {
  const { name } = (err ?? {}) as { name?: unknown };
  if (typeof name === 'string' && name !== 'Error') return name;
  return codeOf(err) ?? (typeof name === 'string' ? name : 'Unknown');
}

/**
 * `client` with every `send()` published on `credstage:secrets-manager:call` (when someone
 * listens). Only the command's name and its SecretId, VersionStage, VersionId or
 * ClientRequestToken are read — never its SecretString, nor anything of the answer. A client
 * already observed is returned as it is, so layered wrappers publish each call once.
 */
export function observeSecretsManager<C extends SendsCommands>(client: C): C {
  if (OBSERVED.has(client)) return client;
  const observed: SendsCommands = {
    send: (command: unknown, options?: unknown) => sendObserved(client, command, options),
    ...(typeof client.destroy === 'function' ? { destroy: () => client.destroy?.() } : {}),
  };
  OBSERVED.add(observed);
  return observed as C;
}

async function sendObserved(client: SendsCommands, command: unknown, options: unknown): Promise<any> {
  if (!secretsManagerChannel.hasSubscribers) return client.send(command, options);
  const input = ((command as { input?: Record<string, unknown> } | null)?.input ?? {}) as Record<string, unknown>;
  const call = {
    api: apiOf(command),
    secretId: stringOr(input.SecretId),
    versionStage: stringOr(input.VersionStage),
    versionId: stringOr(input.VersionId) ?? stringOr(input.ClientRequestToken) ?? stringOr(input.MoveToVersionId),
  };
  const startedAt = performance.now();
  try {
    const out = await client.send(command, options);
    publishCall({ ...call, outcome: 'ok', errorCode: undefined, durationMs: performance.now() - startedAt });
    return out;
  } catch (err) {
    publishCall({ ...call, outcome: 'error', errorCode: awsErrorCode(err), durationMs: performance.now() - startedAt });
    throw err;
  }
}

function publishCall(message: SecretsManagerCallMessage): void {
  // A subscriber may have left while the request was in flight: then nobody is told.
  if (secretsManagerChannel.hasSubscribers) secretsManagerChannel.publish(message);
}

// ---- Recoveries -----------------------------------------------------------------------------

type RecoveredFrom = NonNullable<RecoveryMessage['recoveredFrom']>;
/** Per credentials object, per failed version: where its running recovery found credentials. */
const running = new WeakMap<object, Map<string, { from: RecoveredFrom | undefined }>>();

/**
 * Runs one recovery of `owner` (a DbCredentials) after `failedVersionId` was rejected and
 * publishes its outcome and duration on `credstage:recovery`. `noteRecoveredFrom` tells it where
 * the credentials were found. The result (it holds the password) is never published.
 */
export function traceRecovery<S extends { versionId: string }>(
  owner: object,
  clock: Clock,
  secretId: string,
  failedVersionId: string,
  run: () => Promise<S>,
): Promise<S> {
  if (!recoveryChannel.hasSubscribers) return run();
  const startedAt = monotonicMs(clock);
  const trace = { from: undefined as RecoveredFrom | undefined };
  let ofOwner = running.get(owner);
  if (ofOwner === undefined) running.set(owner, (ofOwner = new Map()));
  ofOwner.set(failedVersionId, trace);
  const base = { secretId, failedVersionId };
  const done = (message: Omit<RecoveryMessage, 'secretId' | 'failedVersionId' | 'durationMs'>): void => {
    ofOwner.delete(failedVersionId);
    if (recoveryChannel.hasSubscribers) recoveryChannel.publish({ ...base, ...message, durationMs: monotonicMs(clock) - startedAt } satisfies RecoveryMessage);
  };
  return run().then(
    (secret) => {
      done({ outcome: 'recovered', recoveredFrom: trace.from, versionId: secret.versionId, errorCode: undefined });
      return secret;
    },
    (err: unknown) => {
      const errorCode = codeOf(err);
      const outcome = errorCode === ERROR_CODES.AUTHENTICATION_REJECTED ? 'rejected' : 'error';
      done({ outcome, recoveredFrom: undefined, versionId: undefined, errorCode });
      throw err;
    },
  );
}

/** Tells a traced recovery of `owner` where it found credentials; returns `event`, so it wraps an emit call. */
export function noteRecoveredFrom<const E extends { failedVersionId: string; recoveredFrom: RecoveredFrom }>(owner: object, event: E): E {
  const trace = running.get(owner)?.get(event.failedVersionId);
  if (trace !== undefined) trace.from = event.recoveredFrom;
  return event;
}

// ---- Rotation steps -------------------------------------------------------------------------

/**
 * Runs one rotation step inside the `credstage:rotation:step` tracing channel (start, end,
 * asyncStart, asyncEnd, error). Before the step's promise settles, the context gets `outcome`,
 * `durationMs` (the report's; on `clock` for a failure) and, for a failure, `errorCode`.
 */
export function traceRotationStep<T extends { report: { outcome: 'done' | 'skipped' | 'failed'; durationMs: number } }>(
  clock: Clock,
  where: Pick<RotationStepMessage, 'secretId' | 'clientRequestToken' | 'step'>,
  run: () => Promise<T>,
): Promise<T> {
  if (!rotationStepChannel.hasSubscribers) return run();
  const context: RotationStepMessage = { secretId: where.secretId, clientRequestToken: where.clientRequestToken, step: where.step };
  const startedAt = monotonicMs(clock);
  return rotationStepChannel.tracePromise(async () => {
    try {
      const result = await run();
      // The step's own measurement: the channel and `onStep` report the same duration.
      Object.assign(context, { outcome: result.report.outcome, durationMs: result.report.durationMs });
      return result;
    } catch (err) {
      Object.assign(context, { outcome: 'failed', durationMs: monotonicMs(clock) - startedAt, errorCode: codeOf(err) });
      throw err;
    }
  }, context);
}
