import type { CacheEvent, LoginEvent } from '../cache/events.js';

export type { LoginEvent } from '../cache/events.js';

/**
 * What `credstage/redshift` reports to `onEvent`: every login, plus the cache and
 * credential events (`auth-recovery` above all) of the secret behind the connections.
 */
export type RedshiftEvent = CacheEvent | LoginEvent;
