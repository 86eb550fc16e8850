import { type Kysely, sql } from 'kysely';

/**
 * Replies, review before sending, provenance and activities (issue 9):
 * - `replies`: a client's replies (SendGrid Inbound Parse), matched to the email they answer;
 *   with `email_logs` they make the client's conversation;
 * - `inbound_unmatched`: messages nobody could be matched to, for ops (no body kept);
 * - `activities`: calls, meetings, texts and notes the agent logged;
 * - `email_logs`: where the text came from (prompt version, fallback reason, the facts the
 *   writer was given), the review (why it waited, the revision, who approved or rejected it)
 *   and the AI's own text when the agent edited it; `clients.replied_at`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE replies (
      inbound_id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      client_id uuid NOT NULL,
      email_id uuid NOT NULL,
      matched_by text NOT NULL,
      from_email text NOT NULL,
      from_name text,
      subject text NOT NULL,
      text text NOT NULL,
      auto_reply text,
      attachments jsonb NOT NULL DEFAULT '[]',
      received_at timestamptz NOT NULL
    );
    CREATE INDEX replies_client_idx ON replies (agent_id, client_id, received_at);

    CREATE TABLE inbound_unmatched (
      inbound_id uuid PRIMARY KEY,
      reason text NOT NULL,
      from_email text,
      to_address text NOT NULL,
      subject text NOT NULL,
      message_id text,
      received_at timestamptz NOT NULL
    );

    CREATE TABLE activities (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      client_id uuid NOT NULL,
      kind text NOT NULL,
      body text NOT NULL,
      stop_followups boolean NOT NULL,
      logged_at timestamptz NOT NULL
    );
    CREATE INDEX activities_client_idx ON activities (agent_id, client_id, logged_at);

    ALTER TABLE email_logs
      ADD COLUMN prompt_version text,
      ADD COLUMN fallback_reason text,
      ADD COLUMN facts jsonb,
      ADD COLUMN review_reason text,
      ADD COLUMN review_revision integer,
      ADD COLUMN approved_by uuid,
      ADD COLUMN approved_at timestamptz,
      ADD COLUMN rejected_at timestamptz,
      ADD COLUMN rejected_reason text,
      ADD COLUMN ai_subject text,
      ADD COLUMN ai_body text;
    CREATE INDEX email_logs_review_idx ON email_logs (agent_id, created_at) WHERE status = 'awaiting_approval';

    ALTER TABLE clients ADD COLUMN replied_at timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE clients DROP COLUMN IF EXISTS replied_at;
    DROP INDEX IF EXISTS email_logs_review_idx;
    ALTER TABLE email_logs
      DROP COLUMN IF EXISTS prompt_version,
      DROP COLUMN IF EXISTS fallback_reason,
      DROP COLUMN IF EXISTS facts,
      DROP COLUMN IF EXISTS review_reason,
      DROP COLUMN IF EXISTS review_revision,
      DROP COLUMN IF EXISTS approved_by,
      DROP COLUMN IF EXISTS approved_at,
      DROP COLUMN IF EXISTS rejected_at,
      DROP COLUMN IF EXISTS rejected_reason,
      DROP COLUMN IF EXISTS ai_subject,
      DROP COLUMN IF EXISTS ai_body;
    DROP TABLE IF EXISTS activities, inbound_unmatched, replies;
  `.execute(db);
}
