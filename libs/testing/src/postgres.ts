import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, migrateToLatest, type Db } from '@realtoros/db';

export type TestDatabase = { url: string; name: string; db: Db; dispose(): Promise<void> };

const ADMIN_URL = () => process.env.TEST_DATABASE_ADMIN_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh, migrated database for one test suite on the local (or DATABASE_URL) server; a
 * Postgres testcontainer when no server answers and a Docker engine does.
 */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let admin = ADMIN_URL();
  let stopContainer: (() => Promise<void>) | null = null;
  if (!(await answers(admin))) {
    const started = await tryContainer();
    if (!started) throw new Error(`no PostgreSQL answers at ${admin} and no Docker engine is available`);
    admin = started.url;
    stopContainer = started.stop;
  }
  const name = `rt_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 5 });
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    url: url.toString(),
    name,
    db,
    async dispose() {
      await db.destroy();
      await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
      await stopContainer?.();
    },
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await withClient(url, (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function tryContainer(): Promise<{ url: string; stop(): Promise<void> } | null> {
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const c = await new GenericContainer('postgres:16-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
      .start();
    return { url: `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`, stop: async () => void (await c.stop()) };
  } catch {
    return null;
  }
}
