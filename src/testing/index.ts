/**
 * `credstage/testing`: an in-memory Secrets Manager with AWS's stage semantics and a manual
 * clock, for unit tests of apps that use credstage.
 */
export { InMemorySecretsManager, FakeServiceError } from './in-memory-secrets-manager.js';
export type { InjectedFault, RecordedCall } from './in-memory-secrets-manager.js';
export { randomPassword, PUNCTUATION } from './random-password.js';
export type { RandomPasswordInput } from './random-password.js';
export { ManualClock } from './manual-clock.js';
