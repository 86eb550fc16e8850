export { createDb, migrateToLatest, type Db } from './src/db.ts';
export * from './src/schema.ts';
export { sql } from 'kysely';
