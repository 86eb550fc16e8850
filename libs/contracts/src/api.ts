import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { CustomFields, Email, Text, TimeOfDay, Timestamp, TimeZone, Uuid } from './common.ts';
import {
  ClientStage,
  EmailStatus,
  EnrollmentEndReason,
  EnrollmentStatus,
  FollowupType,
  ImportOnDuplicate,
  ImportTarget,
  PlanAction,
  Priority,
  PropertyType,
  StringEnum,
  TaskHoldReason,
  TaskStatus,
} from './enums.ts';
import { AgentSettingsFields, AuditAction, ColumnHeader, TemplateUse } from './events/crm.ts';
import { StepId } from './events/scheduler.ts';

/** HTTP API shapes (ARCHITECTURE.md §7). Inputs are closed: nobody sets fields they don't own. */
const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A custom field's name: 1–64 characters a text column and jsonb can store. A key pattern
 * (not `propertyNames`, which TypeBox ignores) so ajv at the gateway and TypeBox in crm both
 * check it; it is written to work with and without the regex `u` flag: a surrogate pair
 * (emoji) passes, a lone surrogate or a NUL does not.
 */
const CUSTOM_FIELD_KEY = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]){1,64}$';
/** Free-form custom fields an agent keeps on a client (flat, small); keys and text values storable. */
export const CustomFieldsInput = Type.Record(
  Type.String({ pattern: CUSTOM_FIELD_KEY }),
  Type.Union([Text({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { additionalProperties: false, maxProperties: 100 },
);

export const ProblemDetails = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
});

export const Password = Type.String({ minLength: 8, maxLength: 200 });
export const SignupBody = Type.Object({ email: Email, password: Password, name: Text({ minLength: 1, maxLength: 200 }) }, closed);
export const LoginBody = Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 200 }) }, closed);
/** PATCH /api/auth/me: the agent's display name. */
export const AgentPatchBody = Type.Object({ name: Text({ minLength: 1, maxLength: 200, pattern: '\\S' }) }, closed);
export const Agent = Type.Object({ id: Uuid, email: Email, name: Type.String(), created_at: Timestamp });
/**
 * Sign-up, log-in and refresh answer the agent and a short-lived access token (`token`, the
 * contract's field); with it the session's `refresh_token` (renews `token` at
 * POST /api/auth/refresh until the session ends) and `expires_in` (seconds). Log-in adds
 * `failed_attempts`: wrong passwords since the agent's previous log-in.
 */
export const AuthResponse = Type.Object({
  agent: Agent,
  token: Type.String(),
  refresh_token: Type.Optional(Type.String()),
  expires_in: Type.Optional(Type.Integer()),
  failed_attempts: Type.Optional(Type.Integer({ minimum: 0 })),
});
export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 300 }) }, closed);
/** POST /api/auth/logout: optional; names the session when the access token has expired. */
export const LogoutBody = Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })) }, closed);
export const PasswordChangeBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 200 }), new_password: Password },
  closed,
);

/**
 * One client tag (issue 10), as the agent sends it: at most 40 characters, at least one that
 * is not a space, no comma, semicolon or control character (a comma-separated form field and
 * the CSV export's "; " list stay unambiguous). The CRM trims it and keeps its case; tags
 * compare lower-cased (`tagKey`), so "VIP" and "vip" are one tag.
 */
export const TAG_MAX_LENGTH = 40;
export const TAGS_MAX = 50;
export const Tag = Text({
  minLength: 1,
  maxLength: TAG_MAX_LENGTH,
  pattern: '^[^,;\\u0000-\\u001F\\u007F]*[^\\s,;\\u0000-\\u001F\\u007F][^,;\\u0000-\\u001F\\u007F]*$',
});
/** A client's tags: the whole list (a PATCH replaces it), at most 50, unique case-insensitively (checked by the CRM). */
export const Tags = Type.Array(Tag, { maxItems: TAGS_MAX });
/** The form tags compare in: "VIP", " vip " and "Vip" are one tag. */
export const tagKey = (tag: string): string => tag.trim().toLowerCase();

const ClientFields = {
  name: Text({ minLength: 1, maxLength: 200 }),
  email: Email,
  phone: Nullable(Text({ maxLength: 40 })),
  property_address: Nullable(Text({ maxLength: 500 })),
  property_type: Nullable(PropertyType),
  stage: ClientStage,
  notes: Nullable(Text({ maxLength: 5000 })),
  custom_fields: CustomFieldsInput,
  /** The client's own IANA zone for the sending window; null → the agent's. */
  time_zone: Nullable(TimeZone),
  tags: Tags,
};
export const ClientCreateBody = Type.Object(
  {
    /** The plan the client joins: absent → the agent's default plan; null → none. */
    plan_id: Type.Optional(Nullable(Uuid)),
    time_zone: Type.Optional(ClientFields.time_zone),
    name: ClientFields.name,
    email: ClientFields.email,
    phone: Type.Optional(ClientFields.phone),
    property_address: Type.Optional(ClientFields.property_address),
    property_type: Type.Optional(ClientFields.property_type),
    stage: Type.Optional(ClientFields.stage),
    notes: Type.Optional(ClientFields.notes),
    custom_fields: Type.Optional(ClientFields.custom_fields),
    tags: Type.Optional(ClientFields.tags),
  },
  closed,
);
export const ClientPatchBody = Type.Partial(Type.Object(ClientFields, closed), { ...closed, minProperties: 1 });
/** The client's current (or last) enrolment; null when it was never enrolled. */
export const Enrollment = Type.Object({
  enrollment_id: Uuid,
  plan_id: Uuid,
  plan_name: Type.String(),
  plan_version: Type.Integer(),
  status: EnrollmentStatus,
  ended_reason: Type.Optional(Nullable(EnrollmentEndReason)),
  enrolled_at: Timestamp,
  paused_until: Type.Optional(Nullable(Timestamp)),
});
export const Client = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  ...ClientFields,
  time_zone: Type.Optional(ClientFields.time_zone),
  enrollment: Type.Optional(Nullable(Enrollment)),
  // As stored: the input rules (key pattern) must not hide fields kept before they existed.
  custom_fields: CustomFields,
  /** As stored (trimmed, the agent's case); [] when none. */
  tags: Type.Array(Type.String()),
  unsubscribed: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_contacted: Nullable(Timestamp),
  /** When the client last wrote back (a person, not an auto-reply); null: never. */
  replied_at: Type.Optional(Nullable(Timestamp)),
  is_deleted: Type.Boolean(),
});

export const CLIENT_SORTS = [
  'name',
  '-name',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'last_contacted',
  '-last_contacted',
] as const;
export const PageQuery = {
  page: Type.Integer({ minimum: 1, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};
export const ClientListQuery = Type.Object(
  {
    ...PageQuery,
    stage: Type.Optional(ClientStage),
    property_type: Type.Optional(PropertyType),
    q: Type.Optional(Text({ maxLength: 200 })),
    /** Clients carrying this tag (case-insensitive, the whole tag). */
    tag: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
    sort: Type.Optional(StringEnum(CLIENT_SORTS)),
  },
  closed,
);
/** A bulk filter selects at most this many clients (POST /api/clients/bulk); more → 400, narrow the filter. */
export const BULK_FILTER_CAP = 10_000;
export const BULK_IDS_MAX = 1000;
export const BULK_ACTIONS = ['set_stage', 'enroll', 'end_enrollment', 'tag', 'delete'] as const;
export const BulkAction = StringEnum(BULK_ACTIONS);
/** The list's filters, as a bulk request's selection: every live client of the agent matching all of them. */
export const BulkFilter = Type.Object(
  {
    stage: Type.Optional(ClientStage),
    property_type: Type.Optional(PropertyType),
    q: Type.Optional(Text({ maxLength: 200 })),
    tag: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
  },
  closed,
);
/**
 * POST /api/clients/bulk (ARCHITECTURE.md §10): exactly one of `ids` (1–1,000, answered in
 * that order) or `filter` (every matching client, newest first, at most 10,000); `value` is
 * the stage (set_stage), the plan id (enroll) or the tag (tag), and absent for the others.
 * The pairing of action and value is checked by the route (a 400 with a pointer at /value).
 */
export const BulkBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: BULK_IDS_MAX })),
    filter: Type.Optional(BulkFilter),
    action: BulkAction,
    value: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);
export const BULK_STATUSES = ['ok', 'not_found', 'error'] as const;
/** One client's outcome: `not_found` (not one of the agent's live clients: nothing was done), `error` with why in `detail`. */
export const BulkResult = Type.Object({ id: Uuid, status: StringEnum(BULK_STATUSES), detail: Type.Optional(Type.String()) });
export const BulkResponse = Type.Object({ results: Type.Array(BulkResult) });
export type BulkBody = Static<typeof BulkBody>;
export type BulkAction = Static<typeof BulkAction>;
export type BulkResult = Static<typeof BulkResult>;

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), limit: Type.Integer() });

export const Task = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  client_id: Uuid,
  followup_type: FollowupType,
  scheduled_for: Timestamp,
  status: TaskStatus,
  priority: Priority,
  notes: Nullable(Type.String()),
  email_sent_id: Nullable(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  completed_at: Nullable(Timestamp),
  failure_reason: Nullable(Type.String()),
  version: Type.Integer(),
  client_name: Type.Optional(Nullable(Type.String())),
  /** Planned tasks: the enrolment, plan version and step they come from (null on manual tasks). */
  enrollment_id: Type.Optional(Nullable(Uuid)),
  plan_id: Type.Optional(Nullable(Uuid)),
  plan_version: Type.Optional(Nullable(Type.Integer())),
  step_label: Type.Optional(Nullable(Type.String())),
  action: Type.Optional(Nullable(PlanAction)),
  /** Set while a due step is held back (daily cap, paused enrolment). */
  held_reason: Type.Optional(Nullable(TaskHoldReason)),
});
export const TaskListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(TaskStatus),
    client_id: Type.Optional(Uuid),
    due_before: Type.Optional(Timestamp),
    due_after: Type.Optional(Timestamp),
  },
  closed,
);
export const TaskCreateBody = Type.Object(
  {
    client_id: Uuid,
    followup_type: Type.Optional(FollowupType),
    scheduled_for: Timestamp,
    priority: Type.Optional(Priority),
    notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
  },
  closed,
);
export const TaskPatchBody = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('skipped')])),
    scheduled_for: Type.Optional(Timestamp),
    priority: Type.Optional(Priority),
    notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
  },
  { ...closed, minProperties: 1 },
);

/** One SendGrid report on an email (deduplicated by `sg_event_id`). */
export const WebhookEvent = Type.Object({
  sg_event_id: Type.String(),
  event: Type.String(),
  timestamp: Timestamp,
  url: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});
export type WebhookEvent = Static<typeof WebhookEvent>;
export const EmailFactView = Type.Object({ label: Type.String(), value: Type.String() });
/** Where an email came from: the writer, what it was given, who approved it and what they changed. */
export const EmailProvenance = Type.Object({
  provider: Type.String(),
  model: Type.String(),
  prompt_version: Nullable(Type.String()),
  /** The template wrote it because the writer failed or its text was refused (the reason). */
  fallback_reason: Nullable(Type.String()),
  facts: Type.Array(EmailFactView),
  /** Why it waited for approval (`step`, `default`, `guardrail`); null: sent automatically or manual. */
  review_reason: Nullable(Type.String()),
  approved_by: Nullable(Uuid),
  approved_at: Nullable(Timestamp),
  rejected_at: Nullable(Timestamp),
  rejected_reason: Nullable(Type.String()),
  /** The AI's text when the agent edited it before approving (the email's subject/body are the final text). */
  ai_subject: Nullable(Type.String()),
  ai_body: Nullable(Type.String()),
});
export const EmailLog = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  task_id: Nullable(Uuid),
  client_id: Uuid,
  to_email: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  body: Nullable(Type.String()),
  status: EmailStatus,
  sendgrid_message_id: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  model: Nullable(Type.String()),
  created_at: Timestamp,
  sent_at: Nullable(Timestamp),
  opened_at: Nullable(Timestamp),
  clicked_at: Nullable(Timestamp),
  error_message: Nullable(Type.String()),
  retry_count: Type.Integer(),
  delivered_at: Nullable(Timestamp),
  webhook_events: Type.Array(WebhookEvent, {
    description: 'SendGrid reports in time order: all of them for one email (GET /api/emails/{id}), the 5 latest in lists',
  }),
  webhook_event_count: Type.Integer({ minimum: 0, description: 'how many SendGrid reports the email has in all' }),
  open_count: Type.Integer({ minimum: 0, description: 'how many of them are opens' }),
  click_count: Type.Integer({ minimum: 0, description: 'how many of them are clicks' }),
  client_name: Type.Optional(Nullable(Type.String())),
  /** Provenance (issue 9): how the text was made; present on emails written since. */
  provenance: Type.Optional(Nullable(EmailProvenance)),
});
export const EmailListQuery = Type.Object({ ...PageQuery, client_id: Type.Optional(Uuid), status: Type.Optional(EmailStatus) }, closed);
/**
 * An email from one of the agent's templates (issue 10): `template_id`, and `template_use`
 * `as_is` (default: the rendered subject and body, no AI) or `ai_base` (the AI personalises
 * the rendered template). An unknown or deleted template → 400 with the pointer `/template_id`.
 */
const TemplateChoice = {
  template_id: Type.Optional(Uuid),
  template_use: Type.Optional(TemplateUse),
};
export const EmailPreviewBody = Type.Union([
  Type.Object({ task_id: Uuid, agent_instructions: Type.Optional(Text({ maxLength: 2000 })) }, closed),
  Type.Object(
    { client_id: Uuid, followup_type: FollowupType, agent_instructions: Type.Optional(Text({ maxLength: 2000 })), ...TemplateChoice },
    closed,
  ),
]);
export const EmailSendBody = Type.Union([
  Type.Object({ task_id: Uuid }, closed),
  Type.Object(
    {
      client_id: Uuid,
      subject: Type.Optional(Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' })),
      body: Type.Optional(Text({ minLength: 1, maxLength: 10000 })),
      agent_instructions: Type.Optional(Text({ maxLength: 2000 })),
      /** With a template: a subject or body given here replaces the rendered one. */
      ...TemplateChoice,
    },
    closed,
  ),
]);
/** What the agent decides about an email whose send outcome is unknown. */
export const EmailResolveBody = Type.Object({ action: StringEnum(['resend', 'mark_sent'] as const) }, closed);
export const GeneratedEmail = Type.Object({ subject: Type.String(), body: Type.String() });

export const TimelineEntry = Type.Object({
  stream: Type.String(),
  seq: Type.Integer(),
  type: Type.String(),
  aggregate: Type.String(),
  aggregate_id: Uuid,
  occurred_at: Timestamp,
  data: Type.Unknown(),
});

// ---------------------------------------------------------------------------------------
// Plans, enrolments, settings, trails (issue 8; ARCHITECTURE.md §10)

export const PlanStepInput = Type.Object(
  {
    /** Keep a step's id when editing it (so a moved step is told from a new one); new steps may leave it out. */
    id: Type.Optional(StepId),
    label: Text({ minLength: 1, maxLength: 100 }),
    offset_days: Type.Integer({ minimum: 0, maximum: 3650 }),
    time_of_day: Type.Optional(Nullable(TimeOfDay)),
    priority: Type.Optional(Priority),
    action: Type.Optional(PlanAction),
    instructions: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    /** One of the agent's templates (400 if it is not theirs); `template_use` as for a manual email (default `as_is`). */
    template_id: Type.Optional(Nullable(Uuid)),
    template_use: Type.Optional(TemplateUse),
  },
  closed,
);
const PlanFields = {
  name: Text({ minLength: 1, maxLength: 100 }),
  steps: Type.Array(PlanStepInput, { minItems: 1, maxItems: 30 }),
  stop_stages: Type.Array(ClientStage, { maxItems: 7, uniqueItems: true }),
  stage_trigger: Nullable(ClientStage),
  /** A client's reply ends the enrolment (`end`, the default) or pauses it until the agent resumes it. */
  on_reply: StringEnum(['end', 'pause'] as const),
};
export const PlanCreateBody = Type.Object(
  {
    name: PlanFields.name,
    steps: PlanFields.steps,
    stop_stages: Type.Optional(PlanFields.stop_stages),
    stage_trigger: Type.Optional(PlanFields.stage_trigger),
    on_reply: Type.Optional(PlanFields.on_reply),
  },
  closed,
);
export const PlanPatchBody = Type.Object(
  {
    name: Type.Optional(PlanFields.name),
    steps: Type.Optional(PlanFields.steps),
    stop_stages: Type.Optional(PlanFields.stop_stages),
    stage_trigger: Type.Optional(PlanFields.stage_trigger),
    on_reply: Type.Optional(PlanFields.on_reply),
    /** `current`: move the clients enrolled now onto the new version; `new` (default): only later enrolments get it. */
    apply_to: Type.Optional(StringEnum(['current', 'new'] as const)),
  },
  { ...closed, minProperties: 1 },
);
export const PlanStepView = Type.Object({
  id: StepId,
  label: Type.String(),
  offset_days: Type.Integer(),
  offset_seconds: Type.Optional(Type.Integer()),
  time_of_day: Nullable(Type.String()),
  priority: Priority,
  action: PlanAction,
  instructions: Nullable(Type.String()),
  template_id: Nullable(Uuid),
  template_use: Type.Optional(TemplateUse),
});
export const Plan = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  name: Type.String(),
  version: Type.Integer(),
  steps: Type.Array(PlanStepView),
  stop_stages: Type.Array(ClientStage),
  stage_trigger: Nullable(ClientStage),
  on_reply: PlanFields.on_reply,
  is_default: Type.Boolean(),
  /** Clients whose enrolment in this plan is active or paused. */
  enrolled_count: Type.Optional(Type.Integer()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
/** What applying a plan edit to the current enrolments would do (POST /api/plans/{id}/preview). */
export const PlanPreview = Type.Object({
  /** Enrolments (active or paused) on the plan now. */
  enrolled: Type.Integer(),
  /** Of those, how many would change at all. */
  affected: Type.Integer(),
  /** Pending steps that move to another time, steps added, pending steps removed. */
  moved: Type.Integer(),
  added: Type.Integer(),
  removed: Type.Integer(),
  /** The sentence the editor shows, e.g. "This change affects 37 enrolled clients: 12 steps move, 37 are added, 5 are removed." */
  summary: Type.String(),
});
export const EnrollBody = Type.Object({ plan_id: Uuid }, closed);
export const EnrollmentPatchBody = Type.Object({ action: StringEnum(['pause', 'resume', 'end'] as const) }, closed);

export const AgentSettingsView = Type.Object(AgentSettingsFields);
export const AgentSettingsPatchBody = Type.Partial(Type.Object(AgentSettingsFields, closed), { ...closed, minProperties: 1 });

/** One decision about a task or an email, in plain words, read from the events. */
export const TrailItem = Type.Object({ at: Timestamp, event: Type.String(), text: Type.String() });
export const Trail = Type.Object({ items: Type.Array(TrailItem) });

export type Plan = Static<typeof Plan>;
export type PlanCreateBody = Static<typeof PlanCreateBody>;
export type PlanPatchBody = Static<typeof PlanPatchBody>;
export type PlanStepInput = Static<typeof PlanStepInput>;
export type PlanPreview = Static<typeof PlanPreview>;
export type Enrollment = Static<typeof Enrollment>;
export type TrailItem = Static<typeof TrailItem>;

export type Agent = Static<typeof Agent>;
export type Client = Static<typeof Client>;
export type ClientCreateBody = Static<typeof ClientCreateBody>;
export type ClientPatchBody = Static<typeof ClientPatchBody>;
export type ClientListQuery = Static<typeof ClientListQuery>;
export type Task = Static<typeof Task>;
export type TaskListQuery = Static<typeof TaskListQuery>;
export type TaskCreateBody = Static<typeof TaskCreateBody>;
export type TaskPatchBody = Static<typeof TaskPatchBody>;
export type EmailLog = Static<typeof EmailLog>;
export type EmailListQuery = Static<typeof EmailListQuery>;
export type TimelineEntry = Static<typeof TimelineEntry>;
export type ProblemDetails = Static<typeof ProblemDetails>;
export type PageOf<T> = { items: T[]; total: number; page: number; limit: number };

// ---------------------------------------------------------------------------------------
// Replies, review, provenance, activities (issue 9; ARCHITECTURE.md §10)

/** A draft waiting for the agent (GET /api/review). */
export const ReviewItem = Type.Object({
  email_id: Uuid,
  client_id: Uuid,
  client_name: Nullable(Type.String()),
  to_email: Nullable(Type.String()),
  task_id: Nullable(Uuid),
  step_label: Nullable(Type.String()),
  subject: Type.String(),
  body: Type.String(),
  review_reason: Type.String(),
  fallback_reason: Nullable(Type.String()),
  revision: Type.Integer(),
  facts: Type.Array(EmailFactView),
  created_at: Timestamp,
});
export const ReviewQueue = Type.Object({ items: Type.Array(ReviewItem), total: Type.Integer() });
export const ApproveBody = Type.Object(
  {
    subject: Type.Optional(Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' })),
    body: Type.Optional(Text({ minLength: 1, maxLength: 10000 })),
  },
  closed,
);
export const RejectBody = Type.Object({ reason: Text({ minLength: 1, maxLength: 500 }) }, closed);
export const RegenerateBody = Type.Object({ agent_instructions: Text({ minLength: 1, maxLength: 2000 }) }, closed);

export const ActivityKindInput = StringEnum(['call', 'meeting', 'text', 'note'] as const);
export const ActivityBody = Type.Object(
  { kind: ActivityKindInput, body: Text({ minLength: 1, maxLength: 5000 }), stop_followups: Type.Optional(Type.Boolean()) },
  closed,
);
export const Activity = Type.Object({
  id: Uuid,
  client_id: Uuid,
  kind: Type.String(),
  body: Type.String(),
  stop_followups: Type.Boolean(),
  logged_at: Timestamp,
});

/** One message of a client's conversation: an email we sent, or the client's reply. */
export const ConversationItem = Type.Object({
  kind: StringEnum(['sent', 'reply'] as const),
  at: Timestamp,
  /** The email sent, or the one the reply answers. */
  email_id: Nullable(Uuid),
  subject: Nullable(Type.String()),
  text: Nullable(Type.String()),
  status: Nullable(Type.String()),
  from_email: Nullable(Type.String()),
  auto_reply: Nullable(Type.String()),
  attachments: Type.Array(Type.Object({ filename: Type.String(), content_type: Type.String(), size: Type.Integer() })),
});
export const Conversation = Type.Object({ items: Type.Array(ConversationItem) });

export type EmailProvenance = Static<typeof EmailProvenance>;
export type ReviewItem = Static<typeof ReviewItem>;
export type ConversationItem = Static<typeof ConversationItem>;
export type Activity = Static<typeof Activity>;

/*
 * CSV imports (issue 10; ARCHITECTURE.md §10). The file is the body (text/csv, or multipart
 * with a `file` field); the choices are query parameters, `mapping` a JSON object of column
 * header → target (a column it does not name keeps its guessed target).
 */
export const ImportQuery = Type.Object(
  {
    on_duplicate: Type.Optional(ImportOnDuplicate),
    plan_id: Type.Optional(Uuid),
    mapping: Type.Optional(Type.String({ maxLength: 100_000, description: 'JSON: {"<column header>": "<target>"}' })),
  },
  closed,
);
export const ImportMappingSchema = Type.Record(ColumnHeader, ImportTarget, { additionalProperties: false });
export const ImportRowError = Type.Object({ row: Type.Integer(), reason: Type.String() });
export const ImportJob = Type.Object({
  id: Uuid,
  status: StringEnum(['queued', 'running', 'done', 'failed'] as const),
  file_name: Nullable(Type.String()),
  on_duplicate: ImportOnDuplicate,
  plan_id: Nullable(Uuid),
  total: Type.Integer(),
  /** Rows handled so far (rows 1..done, in file order). */
  done: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Array(ImportRowError),
  /** Why a job that could not run at all failed (not a row's reason). */
  failure_reason: Nullable(Type.String()),
  created_at: Timestamp,
  finished_at: Nullable(Timestamp),
});
export const ImportPreview = Type.Object({
  file_name: Nullable(Type.String()),
  encoding: StringEnum(['utf-8', 'windows-1252'] as const),
  delimiter: StringEnum([',', ';'] as const),
  total: Type.Integer(),
  columns: Type.Array(Type.Object({ header: Type.String(), target: ImportTarget, samples: Type.Array(Type.String()) })),
  mapping: ImportMappingSchema,
  /** The mapping cannot import (no email column, two columns to one field …): fix it before starting. */
  mapping_problems: Type.Array(Type.String()),
  /** The first rows as they would import: the client, or why not. */
  rows: Type.Array(
    Type.Union([
      Type.Object({
        row: Type.Integer(),
        ok: Type.Literal(true),
        client: Type.Record(Type.String(), Type.Unknown()),
        /** Its email is a client's already, or an earlier row's: `on_duplicate` decides. */
        duplicate: Type.Boolean(),
      }),
      Type.Object({ row: Type.Integer(), ok: Type.Literal(false), reason: Type.String() }),
    ]),
  ),
  bad_rows: Type.Integer(),
  /** The first 100 rejected rows. */
  errors: Type.Array(ImportRowError),
  /** Good rows whose email already belongs to a client, or repeats an earlier row's. */
  duplicates: Type.Integer(),
});
export type ImportJob = Static<typeof ImportJob>;
export type ImportPreview = Static<typeof ImportPreview>;

// ---------------------------------------------------------------------------------------
// Email templates (issue 10; ARCHITECTURE.md §10): `{{merge_fields}}` as in merge-fields.ts

const TemplateFields = {
  name: Text({ minLength: 1, maxLength: 100 }),
  subject: Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' }),
  body: Text({ minLength: 1, maxLength: 10000 }),
};
export const Template = Type.Object({
  id: Uuid,
  name: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  /** The merge fields the subject and body use, each once (`custom.<key>` for a custom field). */
  fields: Type.Array(Type.String()),
  version: Type.Optional(Type.Integer()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const TemplateCreateBody = Type.Object(TemplateFields, closed);
export const TemplatePatchBody = Type.Partial(Type.Object(TemplateFields, closed), { ...closed, minProperties: 1 });
/** A merge field an agent may use (`GET /api/templates` lists them with the templates, for the editor). */
export const MergeFieldView = Type.Object({ name: Type.String(), description: Type.String() });
export const TemplateList = Type.Object({ items: Type.Array(Template), merge_fields: Type.Array(MergeFieldView) });
export type Template = Static<typeof Template>;
export type TemplateCreateBody = Static<typeof TemplateCreateBody>;
export type TemplatePatchBody = Static<typeof TemplatePatchBody>;
export { TEMPLATE_USES, TemplateUse } from './events/crm.ts';

/** GET /api/audit (issue 13): the agent's audit log, newest first. */
export const AuditListQuery = Type.Object({ ...PageQuery }, closed);
export type AuditListQuery = Static<typeof AuditListQuery>;
export const AuditEntry = Type.Object({
  id: Uuid,
  at: Timestamp,
  action: AuditAction,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Uuid),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditEntry = Static<typeof AuditEntry>;
export const AuditPage = Page(AuditEntry);
