import { type Kysely, sql } from 'kysely';

/**
 * Indexes for the read path of a big book (issue 11: 10k clients, 50k tasks, 50k emails):
 *
 * - `tasks_agent_status_idx`: the dashboard's task counts, grouped by status, with today's,
 *   the overdue and the held ones, from an index-only scan (no heap).
 * - `email_logs_agent_sent_idx`: the dashboard's email counts and its 30-day series, from an
 *   index-only scan; it covers every column they read.
 * - `clients_agent_list_idx`: the client list's default order, `created_at DESC NULLS LAST,
 *   id` among the agent's live clients (`is_deleted = false` is an equality, so a key column):
 *   a page reads its `limit` rows off the index, no sort of the agent's every client.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX IF NOT EXISTS tasks_agent_status_idx ON tasks (agent_id, status, scheduled_for) INCLUDE (held_reason);
    CREATE INDEX IF NOT EXISTS email_logs_agent_sent_idx ON email_logs (agent_id, sent_at) INCLUDE (status, opened_at, clicked_at, delivered_at);
    CREATE INDEX IF NOT EXISTS clients_agent_list_idx ON clients (agent_id, is_deleted, created_at DESC NULLS LAST, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS clients_agent_list_idx;
    DROP INDEX IF EXISTS email_logs_agent_sent_idx;
    DROP INDEX IF EXISTS tasks_agent_status_idx;
  `.execute(db);
}
