import { type Kysely, sql } from 'kysely';

/**
 * `aggregate_seq` on clients and tasks: the stream sequence of the last event on the
 * aggregate's own subject (`crm.<agent>.client.<id>`, `sched.<agent>.task.<id>`). It is the
 * "expected last subject sequence" a write must name, so the gateway serves it as the ETag
 * and turns `If-Match` into optimistic concurrency. Existing rows are backfilled from the
 * timeline (`client_events` holds every client event and every task event that names its
 * client); `npm run ops -- replay` recomputes it exactly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE clients ADD COLUMN aggregate_seq bigint;
    ALTER TABLE tasks ADD COLUMN aggregate_seq bigint;
    UPDATE clients c SET aggregate_seq = e.seq
      FROM (SELECT aggregate_id, max(seq) AS seq FROM client_events WHERE stream = 'CRM' AND aggregate = 'client' GROUP BY aggregate_id) e
      WHERE e.aggregate_id = c.id;
    UPDATE tasks t SET aggregate_seq = e.seq
      FROM (SELECT aggregate_id, max(seq) AS seq FROM client_events WHERE stream = 'SCHEDULER' AND aggregate = 'task' GROUP BY aggregate_id) e
      WHERE e.aggregate_id = t.id;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE clients DROP COLUMN aggregate_seq; ALTER TABLE tasks DROP COLUMN aggregate_seq`.execute(db);
}
