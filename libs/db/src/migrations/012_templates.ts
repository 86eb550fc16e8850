import { type Kysely, sql } from 'kysely';

/**
 * An agent's email templates (issue 10): one row per template, its current version whole,
 * kept by the projector from TemplateCreated / TemplateChanged / TemplateDeleted. A deleted
 * template keeps its row (`is_deleted`): emails and plan steps may still name it.
 * `aggregate_seq` is the stream sequence of the last event on its subject (the ETag).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS templates (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      name text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      version integer NOT NULL,
      is_deleted boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      aggregate_seq bigint
    );
    CREATE INDEX IF NOT EXISTS templates_agent_name ON templates (agent_id, name) WHERE NOT is_deleted;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS templates`.execute(db);
}
