import { type Kysely, sql } from 'kysely';

/**
 * SendGrid's reports on an email as rows (`email_events`, one per `sg_event_id`, inserted
 * once with ON CONFLICT DO NOTHING) instead of an ever-growing `email_logs.webhook_events`
 * jsonb array that every event rewrote after scanning it (quadratic: a 10,000-event batch
 * fell far behind, one email weighed 338 KB in a list). `email_logs` keeps the summary a list
 * needs: counters and `delivered_at` (the dashboard's "delivered" used to search the array).
 * Existing arrays move into the table, then the column goes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE email_events (
      email_id uuid NOT NULL,
      agent_id uuid NOT NULL,
      sg_event_id text NOT NULL,
      event text NOT NULL,
      occurred_at timestamptz NOT NULL,
      url text,
      reason text,
      PRIMARY KEY (email_id, sg_event_id)
    );
    CREATE INDEX email_events_email_time_idx ON email_events (email_id, occurred_at, sg_event_id);

    ALTER TABLE email_logs
      ADD COLUMN delivered_at timestamptz,
      ADD COLUMN webhook_event_count integer NOT NULL DEFAULT 0,
      ADD COLUMN open_count integer NOT NULL DEFAULT 0,
      ADD COLUMN click_count integer NOT NULL DEFAULT 0;

    INSERT INTO email_events (email_id, agent_id, sg_event_id, event, occurred_at, url, reason)
      SELECT e.id, e.agent_id, w->>'sg_event_id', w->>'event', (w->>'timestamp')::timestamptz, w->>'url', w->>'reason'
      FROM email_logs e CROSS JOIN LATERAL jsonb_array_elements(e.webhook_events) AS w
      WHERE w ? 'sg_event_id' AND w ? 'event' AND w ? 'timestamp'
      ON CONFLICT DO NOTHING;
    UPDATE email_logs e
      SET webhook_event_count = s.n, open_count = s.opens, click_count = s.clicks, delivered_at = s.delivered
      FROM (
        SELECT email_id, count(*) AS n,
          count(*) FILTER (WHERE event = 'open') AS opens,
          count(*) FILTER (WHERE event = 'click') AS clicks,
          min(occurred_at) FILTER (WHERE event = 'delivered') AS delivered
        FROM email_events GROUP BY email_id
      ) s
      WHERE s.email_id = e.id;

    ALTER TABLE email_logs DROP COLUMN webhook_events;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE email_logs ADD COLUMN webhook_events jsonb NOT NULL DEFAULT '[]'::jsonb;
    UPDATE email_logs e SET webhook_events = s.events
      FROM (
        SELECT email_id, jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
          'sg_event_id', sg_event_id, 'event', event, 'timestamp', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'url', url, 'reason', reason)) ORDER BY occurred_at, sg_event_id) AS events
        FROM email_events GROUP BY email_id
      ) s
      WHERE s.email_id = e.id;
    ALTER TABLE email_logs DROP COLUMN delivered_at, DROP COLUMN webhook_event_count, DROP COLUMN open_count, DROP COLUMN click_count;
    DROP TABLE email_events;
  `.execute(db);
}
