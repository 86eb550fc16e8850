import { type Kysely, sql } from 'kysely';

/**
 * CSV import jobs (issue 10): one row per job, kept by the projector from ImportStarted,
 * ImportProgressed and ImportFinished. `errors` is the report's list of rejected rows,
 * appended to in file order as the job's progress events arrive.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS imports (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      status text NOT NULL,
      file_name text,
      on_duplicate text NOT NULL,
      plan_id uuid,
      total integer NOT NULL,
      done integer NOT NULL DEFAULT 0,
      created integer NOT NULL DEFAULT 0,
      updated integer NOT NULL DEFAULT 0,
      skipped integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      errors jsonb NOT NULL DEFAULT '[]'::jsonb,
      failure_reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS imports_agent_created ON imports (agent_id, created_at DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS imports`.execute(db);
}
