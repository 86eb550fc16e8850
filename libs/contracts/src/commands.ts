import { type Static, Type } from '@sinclair/typebox';
import {
  ActivityBody,
  AgentSettingsPatchBody,
  ApproveBody,
  ClientCreateBody,
  ClientPatchBody,
  EnrollmentPatchBody,
  PlanCreateBody,
  PlanPatchBody,
  RegenerateBody,
  RejectBody,
  TemplateCreateBody,
  TemplatePatchBody,
} from './api.ts';
import { Email, Text, Timestamp, Uuid } from './common.ts';
import { AuditRecorded, ImportStarted, TemplateUse } from './events/crm.ts';
import { FollowupType, Priority } from './enums.ts';

/**
 * Commands travel gateway → owning service over NATS request/reply on
 * `cmd.<service>.<name>` (queue group = service). Each is wrapped in a CommandEnvelope;
 * the reply is a CommandReply.
 */
export const CommandMeta = Type.Object({
  command_id: Uuid,
  agent_id: Uuid,
  correlation_id: Type.String(),
  issued_at: Timestamp,
  /**
   * `If-Match`: the aggregate's last stream sequence the caller saw (its ETag). When present,
   * the owning service refuses the command with `precondition_failed` unless the aggregate is
   * still at exactly that sequence.
   */
  expected_seq: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CommandMeta = Static<typeof CommandMeta>;

const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const COMMANDS = {
  crm: {
    // No credential: the gateway keeps the password hash itself (auth_credentials), never in an event.
    register_agent: Type.Object({ email: Email, name: Text({ minLength: 1, maxLength: 200 }) }),
    // The same shapes the HTTP API accepts: one definition of a client's fields.
    create_client: ClientCreateBody,
    update_client: Type.Object({ client_id: Uuid, changes: ClientPatchBody }),
    delete_client: Type.Object({ client_id: Uuid }),
    unsubscribe_client: Type.Object({
      client_id: Uuid,
      source: Type.Union([Type.Literal('link'), Type.Literal('webhook'), Type.Literal('agent')]),
    }),
    /** The agent's settings (the gateway checks the merged window first); replies with the settings as they now stand. */
    update_settings: Type.Object({ changes: AgentSettingsPatchBody }),
    /** The agent's display name (AgentRenamed); replies with the agent. */
    rename_agent: Type.Object({ name: Text({ minLength: 1, maxLength: 200 }) }),
    /** A call, meeting, text or note on a client (ActivityLogged); replies with the Activity. */
    log_activity: Type.Composite([Type.Object({ client_id: Uuid }), ActivityBody]),
    /**
     * A CSV import job (ImportStarted); the gateway has stored the file under `import_id` in
     * the `crm_imports` object store first. Replies `{id}`; the same id again is the same job.
     */
    start_import: Type.Composite([Type.Object({ import_id: Uuid }), ImportStarted]),
    /**
     * An agent's email templates (issue 10): merge fields are checked when saved (an unknown
     * one → validation naming it, pointer `/subject` or `/body`). Reply with the template.
     */
    create_template: TemplateCreateBody,
    change_template: Type.Object({ template_id: Uuid, changes: TemplatePatchBody }),
    delete_template: Type.Object({ template_id: Uuid }),
    /**
     * One audit-log entry (issue 13), appended to `crm.<agent>.audit` without reading it (it
     * only grows); the event id derives from the command id, so a retry is one entry. Replies `{id}`.
     */
    record_audit: AuditRecorded,
  },
  scheduler: {
    create_task: Type.Object({
      client_id: Uuid,
      followup_type: Type.Optional(FollowupType),
      scheduled_for: Timestamp,
      priority: Type.Optional(Priority),
      notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    }),
    update_task: Type.Object({
      task_id: Uuid,
      status: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('skipped')])),
      scheduled_for: Type.Optional(Timestamp),
      priority: Type.Optional(Priority),
      notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    }),
    /** Replies with the plan (the API's Plan without enrolled_count). */
    create_plan: PlanCreateBody,
    change_plan: Type.Object({ plan_id: Uuid, changes: PlanPatchBody }),
    delete_plan: Type.Object({ plan_id: Uuid }),
    /** Enrols the client in the plan, ending its current enrolment (reason `replaced`); replies with the Enrollment. */
    enroll_client: Type.Object({ client_id: Uuid, plan_id: Uuid }),
    change_enrollment: Type.Object({ client_id: Uuid, action: EnrollmentPatchBody.properties.action }),
  },
  ai: {
    preview: Type.Object({
      task_id: Type.Optional(Uuid),
      client_id: Type.Optional(Uuid),
      followup_type: Type.Optional(FollowupType),
      agent_instructions: Type.Optional(Text({ maxLength: 2000 })),
      template_id: Type.Optional(Uuid),
      template_use: Type.Optional(TemplateUse),
    }),
    send_now: Type.Object({
      task_id: Type.Optional(Uuid),
      client_id: Type.Optional(Uuid),
      subject: Type.Optional(Text({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$' })),
      body: Type.Optional(Text({ minLength: 1, maxLength: 10000 })),
      agent_instructions: Type.Optional(Text({ maxLength: 2000 })),
      template_id: Type.Optional(Uuid),
      template_use: Type.Optional(TemplateUse),
    }),
    /**
     * The review queue (issue 9). `approve` sends the draft (the agent's subject/body when
     * given) exactly once; `reject` skips its step; `regenerate` writes another draft with the
     * agent's instructions. A draft no longer waiting, or whose client replied, unsubscribed,
     * bounced or left the plan meanwhile → conflict with the reason.
     */
    approve: Type.Composite([Type.Object({ email_id: Uuid }), ApproveBody]),
    reject: Type.Composite([Type.Object({ email_id: Uuid }), RejectBody]),
    regenerate: Type.Composite([Type.Object({ email_id: Uuid }), RegenerateBody]),
  },
  mailer: {
    /**
     * A verified SendGrid event-webhook batch (the gateway checked the signature). Custom
     * args arrive as top-level keys; `email_id`/`agent_id` are ours. The meta's agent_id is
     * the nil UUID: each event names its own tenant.
     */
    record_webhook_events: Type.Object({
      events: Type.Array(
        Type.Object({
          sg_event_id: Text({ minLength: 1, maxLength: 200 }),
          event: Text({ minLength: 1, maxLength: 64 }),
          timestamp: Type.Integer({ minimum: 0 }),
          email: Type.Optional(Text({ maxLength: 320 })),
          sg_message_id: Type.Optional(Text({ maxLength: 500 })),
          url: Type.Optional(Text({ maxLength: 4000 })),
          reason: Type.Optional(Text({ maxLength: 2000 })),
          email_id: Type.Optional(Text({ maxLength: 64 })),
          agent_id: Type.Optional(Text({ maxLength: 64 })),
        }),
        { maxItems: 1000 },
      ),
    }),
    /**
     * The agent decides about an email whose send outcome is `unknown` (§4): `resend` sends it
     * again (a new attempt is recorded before the provider is called, so a crash during it ends
     * in `unknown` again, never a double send); `mark_sent` records it as sent without sending
     * (the agent saw it arrive). Any other state → illegal_transition; another agent's email →
     * not_found (the meta's agent_id is the tenant).
     */
    resolve_unknown: Type.Object({
      email_id: Uuid,
      action: Type.Union([Type.Literal('resend'), Type.Literal('mark_sent')]),
    }),
    /**
     * One SendGrid Inbound Parse post, as the gateway read it (Basic auth checked; every field
     * bounded so the command stays far below NATS's payload limit; attachments as metadata).
     * The meta's agent_id is the nil UUID: the mailer finds the tenant from the message.
     * Replies `{status: matched|auto_reply|unmatched|duplicate, inbound_id}`.
     */
    record_inbound: Type.Object({
      received_at: Timestamp,
      headers: Text({ maxLength: 65536 }),
      from: Text({ maxLength: 1000 }),
      to: Text({ maxLength: 4000 }),
      subject: Text({ maxLength: 1000 }),
      text: Text({ maxLength: 262144 }),
      html: Text({ maxLength: 262144 }),
      envelope: Text({ maxLength: 8000 }),
      attachments: Type.Array(
        Type.Object({ filename: Text({ maxLength: 255 }), content_type: Text({ maxLength: 255 }), size: Type.Integer({ minimum: 0 }) }),
        { maxItems: 50 },
      ),
    }),
  },
} as const;

export type CommandService = keyof typeof COMMANDS;
export type CommandName<S extends CommandService> = keyof (typeof COMMANDS)[S] & string;
type Commands = typeof COMMANDS;
type CommandPayloads = {
  [S in keyof Commands]: {
    [N in keyof Commands[S]]: Commands[S][N] extends import('@sinclair/typebox').TSchema ? Static<Commands[S][N]> : never;
  };
};
export type CommandPayload<S extends CommandService, N extends CommandName<S>> = CommandPayloads[S][N];

/** Error codes a service may answer with; the gateway maps them to HTTP in one place. */
export const COMMAND_ERROR_CODES = [
  'validation',
  'not_found',
  'conflict',
  'illegal_transition',
  'precondition_failed',
  'internal',
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

export type CommandReply<T = unknown> =
  | { ok: true; data: T; position: { stream: string; seq: number } | null }
  | { ok: false; error: { code: CommandErrorCode; detail: string; errors?: { pointer: string; detail: string }[] } };
