/**
 * `credstage/documentdb`: DocumentDB (MongoDB driver) connections whose credentials come from
 * Secrets Manager and survive rotation. Needs the `mongodb` package (an optional peer dependency).
 */
export { getDocumentDbClient } from './get-client.js';
export { DocumentDbClient } from './client.js';
export type { DocumentDbClientStats } from './core.js';
export { DOCUMENTDB_DEFAULTS } from './options.js';
export type { DocumentDbClientOptions, MongoClientFactory } from './options.js';
export type { DocumentDbClientEvent, ClientSwitchEvent, OperationRetryEvent, ClientRetiredEvent } from './events.js';
/** The driver's handle types, so apps can type their handles without importing mongodb themselves. */
export type { Db, Collection, FindCursor, AggregationCursor, Document, MongoClient, MongoClientOptions } from 'mongodb';
