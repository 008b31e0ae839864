/**
 * `credstage/redshift`: pg connections to Redshift (or RDS/Aurora PostgreSQL) that take their
 * credentials from a Secrets Manager secret and keep working while it rotates.
 * Needs the `pg` package (an optional peer dependency of credstage).
 */
export { getRedshiftPool, RedshiftPool } from './pool.js';
export type { RedshiftPoolOptions } from './pool.js';
export { getRedshiftClient } from './client.js';
export type { RedshiftClient, RedshiftClientOptions } from './client.js';
export { pgModule } from './pg-module.js';
export type { PgModule, PgModuleOptions } from './pg-module.js';
export type { RedshiftCommonOptions, RedshiftPoolConfig, RedshiftConnectionConfig, PgClientClass } from './options.js';
export type { RedshiftTlsOption } from '../credentials/pg-tls.js';
export type { RedshiftEvent } from './events.js';
