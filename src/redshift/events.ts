import type { CacheEvent } from '../cache/events.js';
import type { LoginEvent } from '../credentials/login-event.js';

/**
 * What `credstage/redshift` reports to `onEvent`: every login, plus the cache and
 * credential events (`auth-recovery` above all) of the secret behind the connections.
 */
export type RedshiftEvent = CacheEvent | LoginEvent;
