import { MissingDependencyError } from '../../errors.js';
import type { DatabaseEngine } from '../../credentials/parse.js';
import type { AdapterConnectOptions, DatabaseAdapter } from './types.js';

/**
 * The engine's own adapter. Each one is imported on first use, and with it its driver: a
 * Redshift rotation never loads `mongodb`, a DocumentDB rotation never loads `pg` (both are
 * optional peer dependencies).
 */
export async function loadAdapter(engine: DatabaseEngine, connect: AdapterConnectOptions): Promise<DatabaseAdapter> {
  try {
    if (engine === 'mongo') {
      const { createDocumentDbAdapter } = await import('./documentdb.js');
      return createDocumentDbAdapter(connect);
    }
    const { createPostgresAdapter } = await import('./postgres.js');
    return createPostgresAdapter(engine, connect);
  } catch (err) {
    const driver = engine === 'mongo' ? 'mongodb' : 'pg';
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingDependencyError({ dependency: driver, neededFor: `rotating a ${engine} secret`, cause: err });
    }
    throw err;
  }
}
