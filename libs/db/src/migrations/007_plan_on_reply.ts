import { type Kysely, sql } from 'kysely';

/**
 * A plan's `on_reply` (issue 9): what a client's reply does to an enrolment in it — `end`
 * (as before, the default for every existing plan and version) or `pause`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE plans ADD COLUMN on_reply text NOT NULL DEFAULT 'end';
    ALTER TABLE plan_versions ADD COLUMN on_reply text NOT NULL DEFAULT 'end';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE plans DROP COLUMN on_reply;
    ALTER TABLE plan_versions DROP COLUMN on_reply;
  `.execute(db);
}
