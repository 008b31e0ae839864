/**
 * `credstage/mongoose`: mongoose connections whose credentials come from Secrets Manager and
 * survive rotation. Needs `mongoose` 8 or 9 (an optional peer dependency); the MongoClients are
 * built with the driver mongoose bundles, so the `mongodb` peer need not be resolvable.
 */
export { createDocumentDbConnection, connectDocumentDb, documentDbClientOf } from './connection.js';
export type { DocumentDbConnectionOptions, MongooseLike } from './connection.js';
