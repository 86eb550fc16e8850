import { Kysely, PostgresDialect } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import pg from 'pg';
import * as m001 from './migrations/001_read_models.ts';
import * as m002 from './migrations/002_aggregate_seq.ts';
import * as m003 from './migrations/003_projection_parked.ts';
import * as m004 from './migrations/004_email_events.ts';
import * as m005 from './migrations/005_plans.ts';
import * as m006 from './migrations/006_replies_review.ts';
import * as m007 from './migrations/007_plan_on_reply.ts';
import * as m008 from './migrations/008_read_indexes.ts';
import * as m009 from './migrations/009_dashboard_summary.ts';
import * as m010 from './migrations/010_imports.ts';
import * as m011 from './migrations/011_client_tags.ts';
import * as m012 from './migrations/012_templates.ts';
import * as m013 from './migrations/013_agent_credentials.ts';
import * as m014 from './migrations/014_audit_log.ts';
import type { Database } from './schema.ts';

// bigint (int8) columns such as stream sequences fit in a JS number for our lifetimes.
pg.types.setTypeParser(20, (v) => Number(v));

export type Db = Kysely<Database>;

/**
 * `queryTimeoutMs`: how long a query may wait for Postgres's answer before it fails (client
 * side, so it also ends a query on a connection to a Postgres that went silent, e.g. a
 * network partition); unset = no limit.
 */
export function createDb(
  url: string,
  opts: { max?: number; applicationName?: string; queryTimeoutMs?: number; connectionTimeoutMs?: number } = {},
): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'realtoros',
    // How long a query waits for a free connection (a full pool) or a new one: then it fails.
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
  });
  // An idle connection dropped by the server (restart, failover, DROP DATABASE … FORCE) must
  // not crash the process: the pool discards it and the next query opens a fresh one.
  pool.on('error', (err) => {
    process.emitWarning(`postgres idle connection error: ${err.message}`);
  });
  // A connection that dies while checked out (Postgres killed mid-transaction) emits 'error'
  // with no listener, which would crash the process; the query in flight already fails with
  // that error (the caller retries) and the pool drops the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => process.emitWarning(`postgres connection error: ${err.message}`));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Versioned migrations, in code, applied in order; kysely records them in kysely_migration. */
const MIGRATIONS: Record<string, Migration> = {
  '001_read_models': m001,
  '002_aggregate_seq': m002,
  '003_projection_parked': m003,
  '004_email_events': m004,
  '005_plans': m005,
  '006_replies_review': m006,
  '007_plan_on_reply': m007,
  '008_read_indexes': m008,
  '009_dashboard_summary': m009,
  '010_imports': m010,
  '011_client_tags': m011,
  '012_templates': m012,
  '013_agent_credentials': m013,
  '014_audit_log': m014,
};
const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

// biome-ignore lint/suspicious/noExplicitAny: migrations run on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
