/**
 * `credstage/mongoose`: mongoose connections whose credentials come from Secrets Manager and
 * survive rotation. Needs `mongoose` 8 or 9 (an optional peer dependency) and the `mongodb`
 * package credstage's DocumentDB layer loads (mongoose installs it).
 */
export { createDocumentDbConnection, connectDocumentDb, documentDbClientOf } from './connection.js';
export type { DocumentDbConnectionOptions, MongooseLike } from './connection.js';
