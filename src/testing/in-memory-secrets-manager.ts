import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { sleep, systemClock, type Clock } from '../internal/clock.js';
import { randomPassword } from './random-password.js';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

interface StoredVersion {
  readonly versionId: string;
  readonly secretString: string | undefined;
  readonly secretBinary: Uint8Array | undefined;
  readonly createdDate: Date;
  readonly stages: Set<string>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly createdDate: Date;
  description: string | undefined;
  versions: Map<string, StoredVersion>;
  lastChangedDate: Date;
  lastRotatedDate: Date | undefined;
  deletedDate: Date | undefined;
  rotationEnabled: boolean;
  rotationLambdaArn: string | undefined;
  rotationRules: Record<string, unknown> | undefined;
}

/** A fault to inject: fail (or stall) the next `times` calls of `command` (every command when omitted). */
export interface InjectedFault {
  command?: string;
  /** An SDK error name (ThrottlingException, InternalServiceErrorException, ...) or an Error to throw. */
  error?: string | Error;
  /** Wait this long before answering (or failing). */
  delayMs?: number;
  /** How many calls it affects. Default: every call until `clearFaults()`. */
  times?: number;
}

/** One call the fake answered. */
export interface RecordedCall {
  command: string;
  input: Record<string, any>;
}

/**
 * An error shaped like the AWS SDK's service exceptions (`name`, `$fault`, `$metadata`).
 *
 * @example
 * ```ts
 * sm.injectFault({ command: 'GetSecretValue', error: new FakeServiceError('DecryptionFailure', 'no kms:Decrypt') });
 * ```
 */
export class FakeServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
    const server = name === 'InternalServiceErrorException';
    this.$fault = server ? 'server' : 'client';
    this.$metadata = { httpStatusCode: server ? 500 : 400 };
  }
}

const fail = (name: string, message: string): never => {
  throw new FakeServiceError(name, message);
};

/**
 * An in-process Secrets Manager with AWS's version-stage semantics, for unit tests and the
 * demo: a drop-in for `SecretsManagerClient.send()`. AWSPREVIOUS follows AWSCURRENT when it
 * moves; ClientRequestToken is idempotent (same token and value: no-op; same token, other
 * value: ResourceExistsException); errors look like the SDK's. It can inject faults.
 *
 * Commands: CreateSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
 * DescribeSecret, ListSecretVersionIds, GetRandomPassword, DeleteSecret, and RotateSecret
 * (which records the rotation settings; it runs no rotation function).
 *
 * @example
 * ```ts
 * import { InMemorySecretsManager } from 'credstage/testing';
 * import { SecretCache } from 'credstage';
 *
 * const sm = new InMemorySecretsManager();
 * await sm.send(new CreateSecretCommand({ Name: 'Applications/MyApp/Documentdb-instance', SecretString: '{...}' }));
 * const cache = new SecretCache({ client: sm });
 * sm.injectFault({ command: 'GetSecretValue', error: 'ThrottlingException', times: 2 });
 * ```
 */
export class InMemorySecretsManager {
  readonly calls: RecordedCall[] = [];
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #faults: Array<InjectedFault & { left: number }> = [];
  readonly #clock: Clock;
  readonly #region: string;
  readonly #account: string;
  readonly #listPageSize: number;

  /**
   * `listPageSize`: most versions one ListSecretVersionIds answer holds (default 100, AWS's
   * largest `MaxResults`); set it low to make callers follow `NextToken`.
   */
  constructor(options: { clock?: Clock; region?: string; accountId?: string; listPageSize?: number } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#region = options.region ?? 'us-east-1';
    this.#account = options.accountId ?? '123456789012';
    this.#listPageSize = options.listPageSize ?? 100;
    if (!Number.isInteger(this.#listPageSize) || this.#listPageSize < 1) throw new InvalidOptionError('listPageSize', 'must be a whole number >= 1');
  }

  /** Fails or delays calls until cleared (or `times` calls). */
  injectFault(fault: InjectedFault): void {
    this.#faults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** How many times `command` (e.g. 'GetSecretValue') was called. */
  callCount(command: string): number {
    return this.calls.filter((call) => call.command === command).length;
  }

  /** The SecretsManagerClient `send()`: takes SDK commands, or `{ name, input }` for SDK-free tests. */
  async send(command: { input: Record<string, any>; constructor: { name: string } } | { name: string; input: Record<string, any> }): Promise<any> {
    const name = ('name' in command && typeof command.name === 'string' ? command.name : command.constructor.name).replace(/Command$/, '');
    const input = command.input ?? {};
    this.calls.push({ command: name, input });
    const fault = this.#faults.find((f) => f.left > 0 && (f.command === undefined || f.command === name));
    if (fault) {
      fault.left--;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.error instanceof Error) throw fault.error;
      if (fault.error) fail(fault.error, `injected ${fault.error}`);
    }
    await Promise.resolve(); // answer asynchronously, as a network client would
    // Own keys only: a command named "constructor" or "toString" must not run an Object.prototype member.
    const handler = Object.hasOwn(this.#handlers, name) ? this.#handlers[name] : undefined;
    if (!handler) return fail('InvalidRequestException', `InMemorySecretsManager does not implement ${name}`);
    return handler(input);
  }

  destroy(): void {}

  readonly #handlers: Record<string, (input: Record<string, any>) => any> = {
    CreateSecret: (input) => {
      if (typeof input.Name !== 'string' || input.Name === '') fail('InvalidParameterException', 'Name is required');
      if ([...this.#secrets.values()].some((s) => s.name === input.Name)) {
        fail('ResourceExistsException', `the secret ${input.Name} already exists`);
      }
      const now = new Date(this.#clock.now());
      const secret: StoredSecret = {
        arn: `arn:aws:secretsmanager:${this.#region}:${this.#account}:secret:${input.Name}-${randomBytes(3).toString('hex')}`,
        name: input.Name,
        createdDate: now,
        description: input.Description,
        versions: new Map(),
        lastChangedDate: now,
        lastRotatedDate: undefined,
        deletedDate: undefined,
        rotationEnabled: false,
        rotationLambdaArn: undefined,
        rotationRules: undefined,
      };
      this.#secrets.set(secret.arn, secret);
      const versionId = hasValue(input) ? this.#addVersion(secret, input, [CURRENT]).versionId : undefined;
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
    },

    GetSecretValue: (input) => {
      const secret = this.#find(input.SecretId, false);
      const version = input.VersionId
        ? secret.versions.get(input.VersionId)
        : [...secret.versions.values()].find((v) => v.stages.has(input.VersionStage ?? CURRENT));
      if (!version || (input.VersionStage && !version.stages.has(input.VersionStage))) {
        fail('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${input.VersionStage ?? CURRENT}`}`);
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version!.versionId,
        SecretString: version!.secretString,
        // A copy: what a caller does with the answer must not change the stored value.
        SecretBinary: version!.secretBinary === undefined ? undefined : new Uint8Array(version!.secretBinary),
        VersionStages: [...version!.stages],
        CreatedDate: version!.createdDate,
      };
    },

    PutSecretValue: (input) => {
      const secret = this.#find(input.SecretId, false);
      if (!hasValue(input)) fail('InvalidParameterException', 'SecretString or SecretBinary is required');
      const existing = input.ClientRequestToken ? secret.versions.get(input.ClientRequestToken) : undefined;
      if (existing) {
        if (!sameValue(existing, input)) {
          fail('ResourceExistsException', `a version with ClientRequestToken ${input.ClientRequestToken} already exists with another value`);
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: existing.versionId, VersionStages: [...existing.stages] };
      }
      const version = this.#addVersion(secret, input, input.VersionStages ?? [CURRENT]);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
    },

    UpdateSecretVersionStage: (input) => {
      const secret = this.#find(input.SecretId, false);
      const stage: string = input.VersionStage;
      if (!stage) fail('InvalidParameterException', 'VersionStage is required');
      const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
      if (input.RemoveFromVersionId && holder?.versionId !== input.RemoveFromVersionId) {
        fail('InvalidParameterException', `the staging label ${stage} is not attached to version ${input.RemoveFromVersionId}`);
      }
      if (input.MoveToVersionId) {
        const target = secret.versions.get(input.MoveToVersionId);
        if (!target) fail('ResourceNotFoundException', `version ${input.MoveToVersionId} not found`);
        if (holder && holder !== target && holder.versionId !== input.RemoveFromVersionId) {
          fail('InvalidParameterException', `the staging label ${stage} is attached to version ${holder.versionId}; name it in RemoveFromVersionId`);
        }
        this.#attach(secret, target!, stage);
        if (stage === CURRENT) secret.lastRotatedDate = new Date(this.#clock.now());
      } else if (holder && input.RemoveFromVersionId) {
        if (stage === CURRENT) fail('InvalidParameterException', 'AWSCURRENT can only be moved, not removed');
        holder.stages.delete(stage);
      }
      secret.lastChangedDate = new Date(this.#clock.now());
      return { ARN: secret.arn, Name: secret.name };
    },

    DescribeSecret: (input) => {
      const secret = this.#find(input.SecretId, true);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Description: secret.description,
        RotationEnabled: secret.rotationEnabled,
        RotationLambdaARN: secret.rotationLambdaArn,
        RotationRules: secret.rotationRules,
        LastRotatedDate: secret.lastRotatedDate,
        LastChangedDate: secret.lastChangedDate,
        CreatedDate: secret.createdDate,
        DeletedDate: secret.deletedDate,
        VersionIdsToStages: Object.fromEntries(
          [...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.versionId, [...v.stages]]),
        ),
      };
    },

    ListSecretVersionIds: (input) => {
      const secret = this.#find(input.SecretId, true);
      const versions = [...secret.versions.values()].filter((v) => input.IncludeDeprecated || v.stages.size > 0);
      // Pages of at most MaxResults (and listPageSize); NextToken is the offset of the next page.
      const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
      if (!Number.isInteger(start) || start < 0 || start > versions.length) fail('InvalidNextTokenException', 'the NextToken is not valid');
      const size = Math.min(this.#listPageSize, input.MaxResults ?? this.#listPageSize);
      const page = versions.slice(start, start + size);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Versions: page.map((v) => ({ VersionId: v.versionId, VersionStages: [...v.stages], CreatedDate: v.createdDate })),
        NextToken: start + size < versions.length ? String(start + size) : undefined,
      };
    },

    GetRandomPassword: (input) => {
      const password = randomPassword(input);
      if (password === undefined) fail('InvalidParameterException', 'the password rules leave no valid password');
      return { RandomPassword: password };
    },

    DeleteSecret: (input) => {
      const secret = this.#find(input.SecretId, true);
      if (input.ForceDeleteWithoutRecovery) this.#secrets.delete(secret.arn);
      else secret.deletedDate = new Date(this.#clock.now());
      return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(this.#clock.now()) };
    },

    RotateSecret: (input) => {
      const secret = this.#find(input.SecretId, false);
      secret.rotationEnabled = true;
      secret.rotationLambdaArn = input.RotationLambdaARN ?? secret.rotationLambdaArn;
      secret.rotationRules = input.RotationRules ?? secret.rotationRules;
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  #find(secretId: unknown, allowDeleted: boolean): StoredSecret {
    if (typeof secretId !== 'string' || secretId === '') return fail('InvalidParameterException', 'SecretId is required');
    const secret = this.#secrets.get(secretId) ?? [...this.#secrets.values()].find((s) => s.name === secretId);
    if (!secret) return fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.deletedDate && !allowDeleted) {
      fail('InvalidRequestException', 'You can\'t perform this operation on the secret because it was marked for deletion.');
    }
    return secret;
  }

  #addVersion(secret: StoredSecret, input: Record<string, any>, stages: string[]): StoredVersion {
    const version: StoredVersion = {
      versionId: input.ClientRequestToken ?? randomUUID(),
      secretString: input.SecretString,
      secretBinary: input.SecretBinary === undefined ? undefined : new Uint8Array(input.SecretBinary),
      createdDate: new Date(this.#clock.now()),
      stages: new Set(),
    };
    secret.versions.set(version.versionId, version);
    for (const stage of stages) this.#attach(secret, version, stage);
    secret.lastChangedDate = version.createdDate;
    return version;
  }

  /** Attaches `stage` to `target`, taking it from any other version; AWSPREVIOUS follows AWSCURRENT. */
  #attach(secret: StoredSecret, target: StoredVersion, stage: string): void {
    for (const version of secret.versions.values()) {
      if (version === target || !version.stages.has(stage)) continue;
      version.stages.delete(stage);
      if (stage === CURRENT) this.#attach(secret, version, PREVIOUS);
    }
    target.stages.add(stage);
    if (stage === CURRENT) target.stages.delete(PREVIOUS);
  }
}

function hasValue(input: Record<string, any>): boolean {
  return input.SecretString !== undefined || input.SecretBinary !== undefined;
}

function sameValue(version: StoredVersion, input: Record<string, any>): boolean {
  if (input.SecretString !== undefined) return version.secretString === input.SecretString;
  const a = version.secretBinary;
  const b = input.SecretBinary === undefined ? undefined : new Uint8Array(input.SecretBinary);
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}
