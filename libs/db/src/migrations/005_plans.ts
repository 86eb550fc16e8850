import { type Kysely, sql } from 'kysely';

/**
 * Plans, enrolments and agent settings (issue 8):
 * - `plans`: each plan's current version, whole (steps as jsonb);
 * - `plan_versions`: every version, whole and immutable (a plan edit's preview compares an
 *   enrolment's own version with the new one);
 * - `enrollments`: one row per client — its current or last enrolment (the client page's
 *   `enrollment`, the plan's enrolled count, a plan edit's preview);
 * - `agent_settings`: the settings the agent changed, merged over the defaults (jsonb);
 * - `client_events (aggregate_id, agent_id)`: one task's or email's events, for decision trails;
 * - `tasks`: where a planned task comes from (enrolment, plan version, step) and whether it
 *   is held back; `clients.time_zone`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE plans (
      id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      name text NOT NULL,
      version integer NOT NULL,
      steps jsonb NOT NULL,
      stop_stages jsonb NOT NULL,
      stage_trigger text,
      is_default boolean NOT NULL DEFAULT false,
      is_deleted boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      aggregate_seq bigint
    );
    CREATE INDEX plans_agent_idx ON plans (agent_id, is_deleted, name);

    CREATE TABLE plan_versions (
      plan_id uuid NOT NULL,
      version integer NOT NULL,
      agent_id uuid NOT NULL,
      name text NOT NULL,
      steps jsonb NOT NULL,
      stop_stages jsonb NOT NULL,
      stage_trigger text,
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (plan_id, version)
    );

    CREATE TABLE enrollments (
      client_id uuid PRIMARY KEY,
      agent_id uuid NOT NULL,
      enrollment_id uuid NOT NULL,
      plan_id uuid NOT NULL,
      plan_name text NOT NULL,
      plan_version integer NOT NULL,
      status text NOT NULL,
      ended_reason text,
      enrolled_at timestamptz NOT NULL,
      paused_at timestamptz,
      paused_until timestamptz,
      paused_ms bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL,
      aggregate_seq bigint
    );
    CREATE INDEX enrollments_plan_idx ON enrollments (agent_id, plan_id, status);

    CREATE TABLE agent_settings (
      agent_id uuid PRIMARY KEY,
      settings jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      aggregate_seq bigint
    );

    ALTER TABLE tasks
      ADD COLUMN enrollment_id uuid,
      ADD COLUMN plan_id uuid,
      ADD COLUMN plan_version integer,
      ADD COLUMN step_id text,
      ADD COLUMN step_label text,
      ADD COLUMN action text,
      ADD COLUMN planned_for timestamptz,
      ADD COLUMN held_reason text,
      ADD COLUMN held_until timestamptz,
      ADD COLUMN pinned boolean NOT NULL DEFAULT false;
    CREATE INDEX tasks_enrollment_idx ON tasks (enrollment_id) WHERE enrollment_id IS NOT NULL;
    CREATE INDEX tasks_agent_held_idx ON tasks (agent_id, held_reason) WHERE held_reason IS NOT NULL;

    ALTER TABLE clients ADD COLUMN time_zone text;

    CREATE INDEX client_events_aggregate_idx ON client_events (aggregate_id, agent_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS client_events_aggregate_idx;
    ALTER TABLE clients DROP COLUMN IF EXISTS time_zone;
    DROP INDEX IF EXISTS tasks_agent_held_idx;
    DROP INDEX IF EXISTS tasks_enrollment_idx;
    ALTER TABLE tasks
      DROP COLUMN IF EXISTS enrollment_id,
      DROP COLUMN IF EXISTS plan_id,
      DROP COLUMN IF EXISTS plan_version,
      DROP COLUMN IF EXISTS step_id,
      DROP COLUMN IF EXISTS step_label,
      DROP COLUMN IF EXISTS action,
      DROP COLUMN IF EXISTS planned_for,
      DROP COLUMN IF EXISTS held_reason,
      DROP COLUMN IF EXISTS held_until,
      DROP COLUMN IF EXISTS pinned;
    DROP TABLE IF EXISTS agent_settings, enrollments, plan_versions, plans;
  `.execute(db);
}
