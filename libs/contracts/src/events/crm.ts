import { Type } from '@sinclair/typebox';
import { Email, LocalDate, Text, TimeOfDay, TimeZone, Timestamp, Uuid } from '../common.ts';
import { ClientStage, ImportOnDuplicate, ImportTarget, PropertyType } from '../enums.ts';

/*
 * Every free-text string in event data is Text(): no NUL, no lone surrogate. newEvent
 * validates on write, so a command handler can never append one, and decodeEvent validates
 * on read, so the projector refuses one (and parks it) instead of failing on Postgres.
 */

/**
 * Custom fields as stored: keys a text column and jsonb can store (the same key rule as the
 * API's CustomFieldsInput, but 0–64 long as older events allow), text values Text().
 */
const STORABLE_KEY = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]){0,64}$';
const StoredCustomFields = Type.Record(
  Type.String({ pattern: STORABLE_KEY }),
  Type.Union([Text({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { additionalProperties: false },
);

export const AgentRegistered = Type.Object({
  email: Email,
  name: Text({ minLength: 1, maxLength: 200 }),
  /**
   * Only in events written before issue 13 (a scrypt hash, never the password): credentials
   * now live outside the log (the gateway's KV bucket `auth_credentials`), so a new
   * registration carries none and nothing can leak from, or be stuck in, the immutable log.
   */
  password_hash: Type.Optional(Type.String()),
});

/** The agent's display name changed (the settings page); emails and the dashboard show the new one. */
export const AgentRenamed = Type.Object({ name: Text({ minLength: 1, maxLength: 200 }) });

/** The client's full profile, as created. */
export const ClientProfile = Type.Object({
  name: Text({ minLength: 1, maxLength: 200 }),
  email: Email,
  phone: Type.Union([Text({ maxLength: 40 }), Type.Null()]),
  property_address: Type.Union([Text({ maxLength: 500 }), Type.Null()]),
  property_type: Type.Union([PropertyType, Type.Null()]),
  notes: Type.Union([Text({ maxLength: 5000 }), Type.Null()]),
  custom_fields: StoredCustomFields,
  /** The client's own IANA zone for sending windows; absent or null → the agent's. */
  time_zone: Type.Optional(Type.Union([TimeZone, Type.Null()])),
  /**
   * Free-form tags (issue 10), trimmed, as the agent wrote them (case kept), unique compared
   * lower-cased. Absent in events older than tags: reads as none.
   */
  tags: Type.Optional(Type.Array(Text({ minLength: 1, maxLength: 40 }), { maxItems: 50 })),
});

/**
 * `plan_id` (the form's pick): absent → the agent's default plan; null → no plan; a plan id →
 * that plan (the scheduler enrols, or records why it could not).
 */
export const ClientCreated = Type.Composite([
  ClientProfile,
  Type.Object({ stage: ClientStage, plan_id: Type.Optional(Type.Union([Uuid, Type.Null()])) }),
]);
/** Only the fields that changed, with their new values. */
export const ClientUpdated = Type.Object({ changes: Type.Partial(ClientProfile) });
/**
 * The stage moved. A PATCH that also changes other fields carries them in `changes` (only
 * those that changed, as in ClientUpdated): one command, one event, so a write is appended
 * whole or not at all. Older histories hold a ClientUpdated then a ClientStageChanged
 * without `changes`; both fold the same.
 */
export const ClientStageChanged = Type.Object({ from: ClientStage, to: ClientStage, changes: Type.Optional(Type.Partial(ClientProfile)) });
export const ClientDeleted = Type.Object({ email: Email });
export const ClientUnsubscribed = Type.Object({
  source: Type.Union([Type.Literal('link'), Type.Literal('webhook'), Type.Literal('agent')]),
  at: Timestamp,
});

/**
 * The agent's settings (ARCHITECTURE.md §10): the sending window and daily cap the scheduler
 * applies, review-by-default, the email signature and the sender's postal address. One
 * definition for the event, the API and the CRM's command.
 */
export const AgentSettingsFields = {
  time_zone: TimeZone,
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  business_days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true }),
  window_start: TimeOfDay,
  window_end: TimeOfDay,
  holidays: Type.Array(LocalDate, { maxItems: 400, uniqueItems: true }),
  daily_cap: Type.Integer({ minimum: 1, maximum: 10000 }),
  review_by_default: Type.Boolean(),
  signature: Type.Union([Text({ maxLength: 2000 }), Type.Null()]),
  postal_address: Type.Union([Text({ maxLength: 500 }), Type.Null()]),
};
export const AgentSettings = Type.Object(AgentSettingsFields);
/** Only the settings that changed, with their new values (the rest keep theirs, or the defaults). */
export const AgentSettingsChanged = Type.Object({ changes: Type.Partial(AgentSettings) });

/** A call, meeting, text or note the agent logged (issue 9); `stop_followups` ends the client's plan (reason `conversation`). */
export const ACTIVITY_KINDS = ['call', 'meeting', 'text', 'note'] as const;
export const ActivityKind = Type.Union(ACTIVITY_KINDS.map((k) => Type.Literal(k)));
export const ActivityLogged = Type.Object({
  activity_id: Uuid,
  kind: ActivityKind,
  body: Text({ maxLength: 5000 }),
  stop_followups: Type.Boolean(),
  logged_at: Timestamp,
});

/** A CSV column's header as a map key: 1–200 characters, none a NUL or a lone surrogate (jsonb and text store it). */
export const ColumnHeader = Type.String({ pattern: '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]){1,200}$' });

/*
 * A CSV import job (issue 10), subject `crm.<agent>.import.<import_id>`. The file itself is
 * in the `crm_imports` object store under the import id (outside the log: it holds a whole
 * book of personal data and is dropped after its retention); these events hold what the job
 * decided and counted, so the read model and a replay know its progress without the file.
 */
export const ImportStarted = Type.Object({
  file_name: Type.Union([Text({ maxLength: 255 }), Type.Null()]),
  /** sha256 of the stored file (hex): the job refuses a file that is not the one checked. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  on_duplicate: ImportOnDuplicate,
  /** The plan new clients join; null → none (imported clients join no plan unless asked). */
  plan_id: Type.Union([Uuid, Type.Null()]),
  /** Column header → what it becomes; a column not named is a custom field. */
  mapping: Type.Record(ColumnHeader, ImportTarget, { additionalProperties: false }),
  /** Data rows in the file. */
  total: Type.Integer({ minimum: 0 }),
});
export const ImportRowError = Type.Object({ row: Type.Integer({ minimum: 1 }), reason: Text({ maxLength: 500 }) });
/** Rows 1..`done` are handled; counts are totals so far; `errors` are the rows rejected since the last progress. */
export const ImportProgressed = Type.Object({
  done: Type.Integer({ minimum: 0 }),
  created: Type.Integer({ minimum: 0 }),
  updated: Type.Integer({ minimum: 0 }),
  skipped: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  errors: Type.Array(ImportRowError),
});
/** The job ended: every row handled (`done`), or it could not run at all (`failed`, with why). */
export const ImportFinished = Type.Object({
  outcome: Type.Union([Type.Literal('done'), Type.Literal('failed')]),
  reason: Type.Union([Text({ maxLength: 500 }), Type.Null()]),
});

/*
 * An agent's email template (issue 10), subject `crm.<agent>.template.<template_id>`. Every
 * version is stored whole (name, subject and body with their `{{merge_fields}}`, checked when
 * saved: libs/contracts merge-fields.ts), so the read model and a sender read a template from
 * its last event. `version` counts from 1.
 */
export const TemplateVersion = {
  name: Text({ minLength: 1, maxLength: 100 }),
  subject: Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' }),
  body: Text({ minLength: 1, maxLength: 10000 }),
  version: Type.Integer({ minimum: 1 }),
};
export const TemplateCreated = Type.Object(TemplateVersion);
export const TemplateChanged = Type.Object(TemplateVersion);
export const TemplateDeleted = Type.Object({ name: Text({ minLength: 1, maxLength: 100 }), version: Type.Integer({ minimum: 1 }) });
/**
 * How an email uses a template: `as_is` — the rendered subject and body are the email (no AI);
 * `ai_base` — the rendered template is the base text the AI personalises.
 */
export const TEMPLATE_USES = ['as_is', 'ai_base'] as const;
export type TemplateUse = (typeof TEMPLATE_USES)[number];
export const TemplateUse = Type.Union(TEMPLATE_USES.map((u) => Type.Literal(u)));

/*
 * The agent's audit log (issue 13), subject `crm.<agent>.audit`: one event per entry, append
 * only. Who = the agent (the subject), when = occurred_at, from where = ip and user_agent.
 * Never client personal data (names, emails, notes) nor secrets: ids, counts, field and filter
 * NAMES only — entries must survive crypto-shredding a client untouched.
 * `client.erased` is reserved for the coming erasure (POST /api/clients/{id}/erase).
 */
export const AUDIT_ACTIONS = [
  'auth.signed_up',
  'auth.logged_in',
  'auth.login_failed',
  'auth.login_locked',
  'auth.logged_out',
  'auth.password_changed',
  'auth.password_change_failed',
  'export.clients',
  'export.emails',
  'import.started',
  'settings.changed',
  'agent.renamed',
  'plan.created',
  'plan.changed',
  'plan.deleted',
  'client.erased',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const AuditAction = Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)));
export const AUDIT_TARGET_TYPES = ['plan', 'import', 'client'] as const;
const AuditKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });
export const AuditRecorded = Type.Object({
  action: AuditAction,
  ip: Type.Union([Text({ maxLength: 64 }), Type.Null()]),
  user_agent: Type.Union([Text({ maxLength: 300 }), Type.Null()]),
  target_type: Type.Optional(Type.Union([Type.Union(AUDIT_TARGET_TYPES.map((t) => Type.Literal(t))), Type.Null()])),
  target_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
  /** Keys and counts only: e.g. `{keys: ['daily_cap']}`, `{filters: ['stage']}`, `{rows: 120}`. */
  detail: Type.Optional(
    Type.Record(AuditKey, Type.Union([Type.Integer(), Type.Boolean(), Type.Null(), AuditKey, Type.Array(AuditKey, { maxItems: 50 })]), {
      additionalProperties: false,
    }),
  ),
});
