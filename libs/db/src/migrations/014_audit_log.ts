import { type Kysely, sql } from 'kysely';

/**
 * The agent's audit log (issue 13): one row per AuditRecorded, kept by the projector. Append
 * only — nothing updates or deletes a row but `ops replay`, which rebuilds it from the events.
 * Read newest first per agent, hence the index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS audit_log (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      at timestamptz NOT NULL,
      action text NOT NULL,
      ip text,
      user_agent text,
      target_type text,
      target_id uuid,
      detail jsonb
    );
    CREATE INDEX IF NOT EXISTS audit_log_agent_at ON audit_log (agent_id, at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS audit_log`.execute(db);
}
