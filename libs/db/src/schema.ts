import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Kysely types of the read models (ARCHITECTURE.md §6). Timestamps come back as Date. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;
/** A column added later: nullable, and optional on insert. */
type Opt<T> = ColumnType<T, T | undefined, T>;

export interface AgentsTable {
  id: string;
  email: string;
  name: string;
  /** Only from events written before credentials left the log (issue 13); null since. */
  password_hash: string | null;
  created_at: Timestamp;
}
export interface ClientsTable {
  id: string;
  agent_id: string;
  name: string;
  email: string;
  phone: string | null;
  property_address: string | null;
  property_type: string | null;
  stage: string;
  notes: string | null;
  custom_fields: Json<Record<string, string | number | boolean | null>>;
  unsubscribed: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_contacted: Timestamp | null;
  is_deleted: Generated<boolean>;
  time_zone: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the client last wrote back (a person, not an auto-reply). */
  replied_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Stream sequence of the last event on `crm.<agent>.client.<id>` (the ETag); null until one is projected. */
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
  /** Tags as the agent wrote them (migration 011). */
  tags: ColumnType<string[], string[] | undefined, string[]>;
  /** The same tags lower-cased (`tagKey`): what `?tag=` compares (GIN index). */
  tag_keys: ColumnType<string[], string[] | undefined, string[]>;
}
export interface TasksTable {
  id: string;
  agent_id: string;
  client_id: string;
  followup_type: string;
  scheduled_for: Timestamp;
  status: string;
  priority: string;
  notes: string | null;
  email_sent_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
  failure_reason: string | null;
  version: number;
  /** Stream sequence of the last event on `sched.<agent>.task.<id>` (the ETag); null until one is projected. */
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
  /** Planned tasks: the enrolment, plan version and step they come from (null on manual and older tasks). */
  enrollment_id: ColumnType<string | null, string | null | undefined, string | null>;
  plan_id: ColumnType<string | null, string | null | undefined, string | null>;
  plan_version: ColumnType<number | null, number | null | undefined, number | null>;
  step_id: ColumnType<string | null, string | null | undefined, string | null>;
  step_label: ColumnType<string | null, string | null | undefined, string | null>;
  action: ColumnType<string | null, string | null | undefined, string | null>;
  /** The step's time before the sending window moved it. */
  planned_for: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Set while a due step is held back (`daily_cap`, `paused`), cleared when it is rescheduled or fires. */
  held_reason: ColumnType<string | null, string | null | undefined, string | null>;
  held_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The agent rescheduled it by hand: plan edits and resumes leave its time alone. */
  pinned: Generated<boolean>;
}
export interface PlansTable {
  id: string;
  agent_id: string;
  name: string;
  version: number;
  steps: Json<object[]>;
  stop_stages: Json<string[]>;
  stage_trigger: string | null;
  on_reply: Generated<'end' | 'pause'>;
  is_default: Generated<boolean>;
  is_deleted: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
}
/** Every version of every plan, as its PlanCreated / PlanChanged stored it (immutable). */
export interface PlanVersionsTable {
  plan_id: string;
  version: number;
  agent_id: string;
  name: string;
  steps: Json<object[]>;
  stop_stages: Json<string[]>;
  stage_trigger: string | null;
  on_reply: Generated<'end' | 'pause'>;
  is_default: Generated<boolean>;
  created_at: Timestamp;
}
/** One row per client: its current or last enrolment. */
export interface EnrollmentsTable {
  client_id: string;
  agent_id: string;
  enrollment_id: string;
  plan_id: string;
  plan_name: string;
  plan_version: number;
  status: string;
  ended_reason: string | null;
  enrolled_at: Timestamp;
  paused_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  paused_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Total time of the pauses that ended (EnrollmentResumed.paused_ms): the steps' anchor is enrolled_at + this. */
  paused_ms: ColumnType<number, number | undefined, number>;
  updated_at: Timestamp;
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
}
export interface AgentSettingsTable {
  agent_id: string;
  /** The whole settings (defaults merged with every change). */
  settings: Json<object>;
  updated_at: Timestamp;
  /** Stream sequence of the last AgentSettingsChanged applied (changes apply once, in order). */
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
}
export interface EmailLogsTable {
  id: string;
  agent_id: string;
  task_id: string | null;
  client_id: string;
  to_email: string | null;
  subject: string | null;
  body: string | null;
  status: string;
  sendgrid_message_id: string | null;
  provider: string | null;
  model: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  opened_at: Timestamp | null;
  clicked_at: Timestamp | null;
  error_message: string | null;
  retry_count: Generated<number>;
  /** The first `delivered` report's time. */
  delivered_at: Timestamp | null;
  /** Rows in `email_events` for this email, and how many are opens / clicks (kept by the projection). */
  webhook_event_count: Generated<number>;
  open_count: Generated<number>;
  click_count: Generated<number>;
  /** Provenance and review (issue 9); null on emails written before. */
  prompt_version: Opt<string | null>;
  fallback_reason: Opt<string | null>;
  facts: ColumnType<{ label: string; value: string }[] | null, string | null | undefined, string | null>;
  review_reason: Opt<string | null>;
  review_revision: Opt<number | null>;
  approved_by: Opt<string | null>;
  approved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  rejected_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  rejected_reason: Opt<string | null>;
  ai_subject: Opt<string | null>;
  ai_body: Opt<string | null>;
}
/** A client's reply (SendGrid Inbound Parse), matched to the email it answers. */
export interface RepliesTable {
  inbound_id: string;
  agent_id: string;
  client_id: string;
  email_id: string;
  matched_by: string;
  from_email: string;
  from_name: string | null;
  subject: string;
  text: string;
  auto_reply: string | null;
  attachments: Json<{ filename: string; content_type: string; size: number }[]>;
  received_at: Timestamp;
}
/** An inbound message matched to nobody (ops). */
export interface InboundUnmatchedTable {
  inbound_id: string;
  reason: string;
  from_email: string | null;
  to_address: string;
  subject: string;
  message_id: string | null;
  received_at: Timestamp;
}
export interface ActivitiesTable {
  id: string;
  agent_id: string;
  client_id: string;
  kind: string;
  body: string;
  stop_followups: boolean;
  logged_at: Timestamp;
}
/** One SendGrid report on an email (the email's `webhook_events` in the API). */
export interface EmailEventsTable {
  email_id: string;
  agent_id: string;
  sg_event_id: string;
  event: string;
  occurred_at: Timestamp;
  url: string | null;
  reason: string | null;
}
export interface ClientEventsTable {
  stream: string;
  seq: ColumnType<number, number, number>;
  agent_id: string;
  client_id: string;
  type: string;
  aggregate: string;
  aggregate_id: string;
  occurred_at: Timestamp;
  data: Json<object>;
}
export interface ProjectionCheckpointsTable {
  projection: string;
  stream: string;
  last_seq: ColumnType<number, number, number>;
  updated_at: Timestamp;
}

/** An event the projector parked: it failed, or it waits behind one of its aggregate that did. */
export interface ProjectionParkedTable {
  stream: string;
  seq: ColumnType<number, number, number>;
  subject: string;
  event_type: string | null;
  agent_id: string | null;
  reason: string;
  behind_seq: ColumnType<number | null, number | null, number | null>;
  raw: ColumnType<Buffer, Uint8Array, Uint8Array>;
  parked_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** The dashboard summary (migration 009): its own copy of each counted row's keys, and the sums per bucket. */
type Day = ColumnType<string, string, string>;
export interface DashboardClientRowsTable {
  client_id: string;
  agent_id: string;
  stage: string;
}
export interface DashboardClientCountsTable {
  agent_id: string;
  stage: string;
  n: number;
}
export interface DashboardTaskRowsTable {
  task_id: string;
  agent_id: string;
  status: string;
  /** UTC day of scheduled_for, 'YYYY-MM-DD'. */
  day: Day;
  /** held_reason, '' when none. */
  held: string;
}
export interface DashboardTaskCountsTable {
  agent_id: string;
  status: string;
  day: Day;
  held: string;
  n: number;
}
export interface DashboardEmailRowsTable {
  email_id: string;
  agent_id: string;
  status: string;
  sent_day: Day | null;
  opened_day: Day | null;
  clicked_day: Day | null;
  /** opened_at or delivered_at known. */
  reported: boolean;
}
export interface DashboardEmailCountsTable {
  agent_id: string;
  status: string;
  n: number;
  sent: number;
  reported: number;
  opened: number;
  clicked: number;
}
export interface DashboardEmailDaysTable {
  agent_id: string;
  day: Day;
  sent: number;
  opened: number;
  clicked: number;
}

/** A CSV import job (issue 10; migration 010). */
export interface ImportsTable {
  id: string;
  agent_id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  file_name: string | null;
  on_duplicate: 'skip' | 'update';
  plan_id: string | null;
  total: number;
  done: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  skipped: Generated<number>;
  failed: Generated<number>;
  errors: ColumnType<{ row: number; reason: string }[], string | undefined, string>;
  failure_reason: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** An agent's email template, its current version (issue 10; migration 012). */
export interface TemplatesTable {
  id: string;
  agent_id: string;
  name: string;
  subject: string;
  body: string;
  version: number;
  is_deleted: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  aggregate_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

/** One entry of an agent's audit log (issue 13; migration 014): id = the AuditRecorded event's id. */
export interface AuditLogTable {
  id: string;
  agent_id: string;
  at: Timestamp;
  action: string;
  ip: string | null;
  user_agent: string | null;
  target_type: string | null;
  target_id: string | null;
  detail: ColumnType<Record<string, unknown> | null, string | null, string | null>;
}

export interface Database {
  agents: AgentsTable;
  clients: ClientsTable;
  tasks: TasksTable;
  email_logs: EmailLogsTable;
  email_events: EmailEventsTable;
  client_events: ClientEventsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  projection_parked: ProjectionParkedTable;
  plans: PlansTable;
  plan_versions: PlanVersionsTable;
  enrollments: EnrollmentsTable;
  agent_settings: AgentSettingsTable;
  replies: RepliesTable;
  inbound_unmatched: InboundUnmatchedTable;
  activities: ActivitiesTable;
  dashboard_client_rows: DashboardClientRowsTable;
  dashboard_client_counts: DashboardClientCountsTable;
  dashboard_task_rows: DashboardTaskRowsTable;
  dashboard_task_counts: DashboardTaskCountsTable;
  dashboard_email_rows: DashboardEmailRowsTable;
  dashboard_email_counts: DashboardEmailCountsTable;
  dashboard_email_days: DashboardEmailDaysTable;
  imports: ImportsTable;
  templates: TemplatesTable;
  audit_log: AuditLogTable;
}

/**
 * The projector's own bookkeeping tables, rebuilt by `ops replay` together with the tables
 * each projection declares (`Projection.tables`).
 */
export const PROJECTOR_TABLES = ['projection_checkpoints', 'projection_parked'] as const satisfies readonly (keyof Database)[];
