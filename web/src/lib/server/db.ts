import { createDb, type Db } from '@realtoros/db';
import { config } from './config.ts';

let db: Db | undefined;

/** One pool per process, created on first use. */
export function getDb(): Db {
  db ??= createDb(config().DATABASE_URL, { max: 10, applicationName: 'realtoros-web' });
  return db;
}

export async function closeDb(): Promise<void> {
  const d = db;
  db = undefined;
  await d?.destroy();
}
