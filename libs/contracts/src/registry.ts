import type { Static, TSchema } from '@sinclair/typebox';
import * as ai from './events/ai.ts';
import * as crm from './events/crm.ts';
import * as mailer from './events/mailer.ts';
import * as scheduler from './events/scheduler.ts';

export type StreamName = 'CRM' | 'SCHEDULER' | 'AI' | 'MAILER';
export type AggregateName = 'agent' | 'client' | 'task' | 'email' | 'plan' | 'enrollment' | 'inbound' | 'template' | 'import' | 'audit';
export type EventSpec = { schema: TSchema; stream: StreamName; aggregate: AggregateName; version: number };

/**
 * Every domain event: its data schema, the stream that stores it, its aggregate, and the
 * current version of its data schema (the envelope's `schema`). Changing an event's data in a
 * way old readers or old stored events would not satisfy means: bump `version`, and register
 * an upcaster from the previous version in UPCASTERS below, so every stored event is still
 * read — as the current shape.
 */
export const EVENTS = {
  AgentRegistered: { schema: crm.AgentRegistered, stream: 'CRM', aggregate: 'agent', version: 1 },
  AgentSettingsChanged: { schema: crm.AgentSettingsChanged, stream: 'CRM', aggregate: 'agent', version: 1 },
  AgentRenamed: { schema: crm.AgentRenamed, stream: 'CRM', aggregate: 'agent', version: 1 },
  AuditRecorded: { schema: crm.AuditRecorded, stream: 'CRM', aggregate: 'audit', version: 1 },
  ClientCreated: { schema: crm.ClientCreated, stream: 'CRM', aggregate: 'client', version: 1 },
  ClientUpdated: { schema: crm.ClientUpdated, stream: 'CRM', aggregate: 'client', version: 1 },
  ClientStageChanged: { schema: crm.ClientStageChanged, stream: 'CRM', aggregate: 'client', version: 1 },
  ClientDeleted: { schema: crm.ClientDeleted, stream: 'CRM', aggregate: 'client', version: 1 },
  ClientUnsubscribed: { schema: crm.ClientUnsubscribed, stream: 'CRM', aggregate: 'client', version: 1 },
  ActivityLogged: { schema: crm.ActivityLogged, stream: 'CRM', aggregate: 'client', version: 1 },
  ImportStarted: { schema: crm.ImportStarted, stream: 'CRM', aggregate: 'import', version: 1 },
  ImportProgressed: { schema: crm.ImportProgressed, stream: 'CRM', aggregate: 'import', version: 1 },
  ImportFinished: { schema: crm.ImportFinished, stream: 'CRM', aggregate: 'import', version: 1 },
  TemplateCreated: { schema: crm.TemplateCreated, stream: 'CRM', aggregate: 'template', version: 1 },
  TemplateChanged: { schema: crm.TemplateChanged, stream: 'CRM', aggregate: 'template', version: 1 },
  TemplateDeleted: { schema: crm.TemplateDeleted, stream: 'CRM', aggregate: 'template', version: 1 },
  TaskScheduled: { schema: scheduler.TaskScheduled, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskRescheduled: { schema: scheduler.TaskRescheduled, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskDetailsChanged: { schema: scheduler.TaskDetailsChanged, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskDue: { schema: scheduler.TaskDue, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskCompleted: { schema: scheduler.TaskCompleted, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskSkipped: { schema: scheduler.TaskSkipped, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskFailed: { schema: scheduler.TaskFailed, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskCancelled: { schema: scheduler.TaskCancelled, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  TaskHeld: { schema: scheduler.TaskHeld, stream: 'SCHEDULER', aggregate: 'task', version: 1 },
  PlanCreated: { schema: scheduler.PlanCreated, stream: 'SCHEDULER', aggregate: 'plan', version: 1 },
  PlanChanged: { schema: scheduler.PlanChanged, stream: 'SCHEDULER', aggregate: 'plan', version: 1 },
  PlanDeleted: { schema: scheduler.PlanDeleted, stream: 'SCHEDULER', aggregate: 'plan', version: 1 },
  ClientEnrolled: { schema: scheduler.ClientEnrolled, stream: 'SCHEDULER', aggregate: 'enrollment', version: 1 },
  EnrollmentPaused: { schema: scheduler.EnrollmentPaused, stream: 'SCHEDULER', aggregate: 'enrollment', version: 1 },
  EnrollmentResumed: { schema: scheduler.EnrollmentResumed, stream: 'SCHEDULER', aggregate: 'enrollment', version: 1 },
  EnrollmentEnded: { schema: scheduler.EnrollmentEnded, stream: 'SCHEDULER', aggregate: 'enrollment', version: 1 },
  EnrollmentMigrated: { schema: scheduler.EnrollmentMigrated, stream: 'SCHEDULER', aggregate: 'enrollment', version: 1 },
  EmailGenerated: { schema: ai.EmailGenerated, stream: 'AI', aggregate: 'email', version: 1 },
  EmailGenerationFailed: { schema: ai.EmailGenerationFailed, stream: 'AI', aggregate: 'email', version: 1 },
  EmailAwaitingApproval: { schema: ai.EmailAwaitingApproval, stream: 'AI', aggregate: 'email', version: 1 },
  EmailApproved: { schema: ai.EmailApproved, stream: 'AI', aggregate: 'email', version: 1 },
  EmailRejected: { schema: ai.EmailRejected, stream: 'AI', aggregate: 'email', version: 1 },
  EmailSent: { schema: mailer.EmailSent, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailFailed: { schema: mailer.EmailFailed, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailSendUnknown: { schema: mailer.EmailSendUnknown, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailSuppressed: { schema: mailer.EmailSuppressed, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailResendRequested: { schema: mailer.EmailResendRequested, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailDelivered: { schema: mailer.EmailDelivered, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailOpened: { schema: mailer.EmailOpened, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailClicked: { schema: mailer.EmailClicked, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailBounced: { schema: mailer.EmailBounced, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailDropped: { schema: mailer.EmailDropped, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailSpamReported: { schema: mailer.EmailSpamReported, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailUnsubscribed: { schema: mailer.EmailUnsubscribed, stream: 'MAILER', aggregate: 'email', version: 1 },
  EmailWebhookRecorded: { schema: mailer.EmailWebhookRecorded, stream: 'MAILER', aggregate: 'email', version: 1 },
  ClientReplied: { schema: mailer.ClientReplied, stream: 'MAILER', aggregate: 'client', version: 1 },
  InboundUnmatched: { schema: mailer.InboundUnmatched, stream: 'MAILER', aggregate: 'inbound', version: 1 },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENTS;
export type EventData<T extends EventType> = Static<(typeof EVENTS)[T]['schema']>;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];
export const isEventType = (t: string): t is EventType => Object.hasOwn(EVENTS, t);

/** Turns an event's data of schema version n into version n + 1 (pure; unknown in, unknown out). */
export type Upcaster = (data: unknown) => unknown;
/** UPCASTERS[type][n]: the step from version n to n + 1 of that event's data. */
export type Upcasters = { readonly [T in EventType]?: Readonly<Record<number, Upcaster>> };

/**
 * Registered upcasters. None yet: every event is at version 1. Example, for a v2 of
 * ClientUnsubscribed that adds a `channel`:
 *   ClientUnsubscribed: { 1: (d) => ({ ...(d as object), channel: 'email' }) },
 */
export const UPCASTERS: Upcasters = {};

/** The event registry decoding works against (a test may pass its own, with a hypothetical v2). */
export type EventRegistry = { events: { readonly [T in EventType]: Omit<EventSpec, 'stream' | 'aggregate'> }; upcasters: Upcasters };
export const EVENT_REGISTRY: EventRegistry = { events: EVENTS, upcasters: UPCASTERS };

/**
 * Reads an event's data stored at schema version `from` as the current version, step by
 * step through the registered upcasters. Throws when a step is missing or the event is from
 * a newer version than this code knows (a reader older than the writer must not guess).
 */
export function upcast(
  type: EventType,
  from: number,
  data: unknown,
  registry: EventRegistry = EVENT_REGISTRY,
): { version: number; data: unknown } {
  const current = registry.events[type].version;
  if (from > current) throw new Error(`${type} schema ${from} is newer than the ${current} this code reads`);
  let d = data;
  for (let v = from; v < current; v++) {
    const step = registry.upcasters[type]?.[v];
    if (!step) throw new Error(`${type}: no upcaster from schema ${v} to ${v + 1}`);
    d = step(d);
  }
  return { version: current, data: d };
}

/**
 * SendGrid's webhook reports as MAILER events (anything we don't act on is
 * EmailWebhookRecorded): one list for the mailer's decider and the email_logs projection.
 */
export const EMAIL_REPORT_EVENTS = [
  'EmailDelivered',
  'EmailOpened',
  'EmailClicked',
  'EmailBounced',
  'EmailDropped',
  'EmailSpamReported',
  'EmailUnsubscribed',
  'EmailWebhookRecorded',
] as const satisfies readonly EventType[];
export type EmailReportEvent = (typeof EMAIL_REPORT_EVENTS)[number];
export const isEmailReportEvent = (t: string): t is EmailReportEvent => (EMAIL_REPORT_EVENTS as readonly string[]).includes(t);
