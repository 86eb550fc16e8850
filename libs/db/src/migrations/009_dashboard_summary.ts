import { type Kysely, sql } from 'kysely';

/**
 * The dashboard's summary read model (issue 11): counts the projector keeps up to date, so
 * `GET /api/dashboard/stats` reads a few hundred small rows instead of aggregating an agent's
 * every client, task and email on each request (services/projector/DESIGN.md, "Dashboard
 * summary").
 *
 * Each `*_rows` table is the summary's own copy of the one row's keys it last counted (so a
 * change can be counted as "-1 old bucket, +1 new bucket"); each `*_counts` / `*_days` table
 * holds the sums per bucket. Days are UTC calendar days, as the dashboard's. A bucket whose
 * count falls to zero is deleted, so the live tables and a replay's are the same rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS dashboard_client_rows (
      client_id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      stage text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS dashboard_client_counts (
      agent_id uuid NOT NULL,
      stage text NOT NULL,
      n integer NOT NULL,
      PRIMARY KEY (agent_id, stage)
    );
    CREATE TABLE IF NOT EXISTS dashboard_task_rows (
      task_id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      status text NOT NULL,
      day date NOT NULL,
      held text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS dashboard_task_counts (
      agent_id uuid NOT NULL,
      status text NOT NULL,
      day date NOT NULL,
      held text NOT NULL,
      n integer NOT NULL,
      PRIMARY KEY (agent_id, status, day, held)
    );
    CREATE TABLE IF NOT EXISTS dashboard_email_rows (
      email_id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      status text NOT NULL,
      sent_day date,
      opened_day date,
      clicked_day date,
      reported boolean NOT NULL
    );
    CREATE TABLE IF NOT EXISTS dashboard_email_counts (
      agent_id uuid NOT NULL,
      status text NOT NULL,
      n integer NOT NULL,
      sent integer NOT NULL,
      reported integer NOT NULL,
      opened integer NOT NULL,
      clicked integer NOT NULL,
      PRIMARY KEY (agent_id, status)
    );
    CREATE TABLE IF NOT EXISTS dashboard_email_days (
      agent_id uuid NOT NULL,
      day date NOT NULL,
      sent integer NOT NULL,
      opened integer NOT NULL,
      clicked integer NOT NULL,
      PRIMARY KEY (agent_id, day)
    );
  `.execute(db);
  // What the projector had already built before this migration: counted once, here.
  await sql`
    INSERT INTO dashboard_client_rows (client_id, agent_id, stage)
      SELECT id, agent_id, stage FROM clients WHERE NOT is_deleted
      ON CONFLICT DO NOTHING;
    INSERT INTO dashboard_task_rows (task_id, agent_id, status, day, held)
      SELECT id, agent_id, status, (scheduled_for AT TIME ZONE 'UTC')::date, coalesce(held_reason, '') FROM tasks
      ON CONFLICT DO NOTHING;
    INSERT INTO dashboard_email_rows (email_id, agent_id, status, sent_day, opened_day, clicked_day, reported)
      SELECT id, agent_id, status, (sent_at AT TIME ZONE 'UTC')::date, (opened_at AT TIME ZONE 'UTC')::date,
             (clicked_at AT TIME ZONE 'UTC')::date, (opened_at IS NOT NULL OR delivered_at IS NOT NULL)
      FROM email_logs
      ON CONFLICT DO NOTHING;
  `.execute(db);
  await sql`
    DELETE FROM dashboard_client_counts; DELETE FROM dashboard_task_counts; DELETE FROM dashboard_email_counts; DELETE FROM dashboard_email_days;
    INSERT INTO dashboard_client_counts (agent_id, stage, n)
      SELECT agent_id, stage, count(*) FROM dashboard_client_rows GROUP BY 1, 2;
    INSERT INTO dashboard_task_counts (agent_id, status, day, held, n)
      SELECT agent_id, status, day, held, count(*) FROM dashboard_task_rows GROUP BY 1, 2, 3, 4;
    INSERT INTO dashboard_email_counts (agent_id, status, n, sent, reported, opened, clicked)
      SELECT agent_id, status, count(*), count(sent_day), count(*) FILTER (WHERE reported), count(opened_day), count(clicked_day)
      FROM dashboard_email_rows GROUP BY 1, 2;
    INSERT INTO dashboard_email_days (agent_id, day, sent, opened, clicked)
      SELECT agent_id, day, count(*) FILTER (WHERE k = 's'), count(*) FILTER (WHERE k = 'o'), count(*) FILTER (WHERE k = 'c')
      FROM (SELECT agent_id, sent_day AS day, 's' AS k FROM dashboard_email_rows WHERE sent_day IS NOT NULL
            UNION ALL SELECT agent_id, opened_day, 'o' FROM dashboard_email_rows WHERE opened_day IS NOT NULL
            UNION ALL SELECT agent_id, clicked_day, 'c' FROM dashboard_email_rows WHERE clicked_day IS NOT NULL) AS x
      GROUP BY 1, 2;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS dashboard_email_days, dashboard_email_counts, dashboard_email_rows,
      dashboard_task_counts, dashboard_task_rows, dashboard_client_counts, dashboard_client_rows;
  `.execute(db);
}
