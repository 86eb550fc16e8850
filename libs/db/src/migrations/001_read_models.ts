import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE agents (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      name text NOT NULL,
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX agents_email_key ON agents (lower(email));

    CREATE TABLE clients (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      name text NOT NULL,
      email text NOT NULL,
      phone text,
      property_address text,
      property_type text,
      stage text NOT NULL,
      notes text,
      custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
      unsubscribed boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      last_contacted timestamptz,
      is_deleted boolean NOT NULL DEFAULT false
    );
    CREATE INDEX clients_agent_stage_idx ON clients (agent_id, stage, is_deleted);
    CREATE UNIQUE INDEX clients_agent_email_key ON clients (agent_id, lower(email)) WHERE NOT is_deleted;
    CREATE INDEX clients_agent_created_idx ON clients (agent_id, created_at DESC);

    CREATE TABLE tasks (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      client_id uuid NOT NULL,
      followup_type text NOT NULL,
      scheduled_for timestamptz NOT NULL,
      status text NOT NULL,
      priority text NOT NULL,
      notes text,
      email_sent_id uuid,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      failure_reason text,
      version integer NOT NULL DEFAULT 1
    );
    CREATE INDEX tasks_status_scheduled_idx ON tasks (status, scheduled_for);
    CREATE INDEX tasks_agent_client_status_idx ON tasks (agent_id, client_id, status);
    CREATE INDEX tasks_agent_scheduled_idx ON tasks (agent_id, scheduled_for);

    CREATE TABLE email_logs (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      task_id uuid,
      client_id uuid NOT NULL,
      to_email text,
      subject text,
      body text,
      status text NOT NULL,
      sendgrid_message_id text,
      provider text,
      model text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz,
      opened_at timestamptz,
      clicked_at timestamptz,
      error_message text,
      retry_count integer NOT NULL DEFAULT 0,
      webhook_events jsonb NOT NULL DEFAULT '[]'::jsonb
    );
    CREATE INDEX email_logs_message_id_idx ON email_logs (sendgrid_message_id);
    CREATE INDEX email_logs_agent_created_idx ON email_logs (agent_id, created_at DESC);
    CREATE INDEX email_logs_agent_client_idx ON email_logs (agent_id, client_id);

    CREATE TABLE client_events (
      stream text NOT NULL,
      seq bigint NOT NULL,
      agent_id uuid NOT NULL,
      client_id uuid NOT NULL,
      type text NOT NULL,
      aggregate text NOT NULL,
      aggregate_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL,
      data jsonb NOT NULL,
      PRIMARY KEY (stream, seq)
    );
    CREATE INDEX client_events_agent_client_idx ON client_events (agent_id, client_id, occurred_at);

    CREATE TABLE projection_checkpoints (
      projection text NOT NULL,
      stream text NOT NULL,
      last_seq bigint NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (projection, stream)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS projection_checkpoints, client_events, email_logs, tasks, clients, agents`.execute(db);
}
