import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { CustomFields, Email, Text, Timestamp, Uuid } from './common.ts';
import { ClientStage, EmailStatus, FollowupType, Priority, PropertyType, StringEnum, TaskStatus } from './enums.ts';

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
export const Agent = Type.Object({ id: Uuid, email: Email, name: Type.String(), created_at: Timestamp });
export const AuthResponse = Type.Object({ agent: Agent, token: Type.String() });

const ClientFields = {
  name: Text({ minLength: 1, maxLength: 200 }),
  email: Email,
  phone: Nullable(Text({ maxLength: 40 })),
  property_address: Nullable(Text({ maxLength: 500 })),
  property_type: Nullable(PropertyType),
  stage: ClientStage,
  notes: Nullable(Text({ maxLength: 5000 })),
  custom_fields: CustomFieldsInput,
};
export const ClientCreateBody = Type.Object(
  {
    name: ClientFields.name,
    email: ClientFields.email,
    phone: Type.Optional(ClientFields.phone),
    property_address: Type.Optional(ClientFields.property_address),
    property_type: Type.Optional(ClientFields.property_type),
    stage: Type.Optional(ClientFields.stage),
    notes: Type.Optional(ClientFields.notes),
    custom_fields: Type.Optional(ClientFields.custom_fields),
  },
  closed,
);
export const ClientPatchBody = Type.Partial(Type.Object(ClientFields, closed), { ...closed, minProperties: 1 });
export const Client = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  ...ClientFields,
  // As stored: the input rules (key pattern) must not hide fields kept before they existed.
  custom_fields: CustomFields,
  unsubscribed: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_contacted: Nullable(Timestamp),
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
    sort: Type.Optional(StringEnum(CLIENT_SORTS)),
  },
  closed,
);
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
});
export const EmailListQuery = Type.Object({ ...PageQuery, client_id: Type.Optional(Uuid), status: Type.Optional(EmailStatus) }, closed);
export const EmailPreviewBody = Type.Union([
  Type.Object({ task_id: Uuid, agent_instructions: Type.Optional(Text({ maxLength: 2000 })) }, closed),
  Type.Object({ client_id: Uuid, followup_type: FollowupType, agent_instructions: Type.Optional(Text({ maxLength: 2000 })) }, closed),
]);
export const EmailSendBody = Type.Union([
  Type.Object({ task_id: Uuid }, closed),
  Type.Object(
    {
      client_id: Uuid,
      subject: Type.Optional(Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' })),
      body: Type.Optional(Text({ minLength: 1, maxLength: 10000 })),
      agent_instructions: Type.Optional(Text({ maxLength: 2000 })),
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
