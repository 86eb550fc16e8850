import type { Static, TSchema } from '@sinclair/typebox';
import * as ai from './events/ai.ts';
import * as crm from './events/crm.ts';
import * as mailer from './events/mailer.ts';
import * as scheduler from './events/scheduler.ts';

export type StreamName = 'CRM' | 'SCHEDULER' | 'AI' | 'MAILER';
export type AggregateName = 'agent' | 'client' | 'task' | 'email';

/** Every domain event: its data schema, the stream that stores it and its aggregate. */
export const EVENTS = {
  AgentRegistered: { schema: crm.AgentRegistered, stream: 'CRM', aggregate: 'agent' },
  ClientCreated: { schema: crm.ClientCreated, stream: 'CRM', aggregate: 'client' },
  ClientUpdated: { schema: crm.ClientUpdated, stream: 'CRM', aggregate: 'client' },
  ClientStageChanged: { schema: crm.ClientStageChanged, stream: 'CRM', aggregate: 'client' },
  ClientDeleted: { schema: crm.ClientDeleted, stream: 'CRM', aggregate: 'client' },
  ClientUnsubscribed: { schema: crm.ClientUnsubscribed, stream: 'CRM', aggregate: 'client' },
  TaskScheduled: { schema: scheduler.TaskScheduled, stream: 'SCHEDULER', aggregate: 'task' },
  TaskRescheduled: { schema: scheduler.TaskRescheduled, stream: 'SCHEDULER', aggregate: 'task' },
  TaskDetailsChanged: { schema: scheduler.TaskDetailsChanged, stream: 'SCHEDULER', aggregate: 'task' },
  TaskDue: { schema: scheduler.TaskDue, stream: 'SCHEDULER', aggregate: 'task' },
  TaskCompleted: { schema: scheduler.TaskCompleted, stream: 'SCHEDULER', aggregate: 'task' },
  TaskSkipped: { schema: scheduler.TaskSkipped, stream: 'SCHEDULER', aggregate: 'task' },
  TaskFailed: { schema: scheduler.TaskFailed, stream: 'SCHEDULER', aggregate: 'task' },
  TaskCancelled: { schema: scheduler.TaskCancelled, stream: 'SCHEDULER', aggregate: 'task' },
  EmailGenerated: { schema: ai.EmailGenerated, stream: 'AI', aggregate: 'email' },
  EmailGenerationFailed: { schema: ai.EmailGenerationFailed, stream: 'AI', aggregate: 'email' },
  EmailSent: { schema: mailer.EmailSent, stream: 'MAILER', aggregate: 'email' },
  EmailFailed: { schema: mailer.EmailFailed, stream: 'MAILER', aggregate: 'email' },
  EmailSendUnknown: { schema: mailer.EmailSendUnknown, stream: 'MAILER', aggregate: 'email' },
  EmailSuppressed: { schema: mailer.EmailSuppressed, stream: 'MAILER', aggregate: 'email' },
  EmailResendRequested: { schema: mailer.EmailResendRequested, stream: 'MAILER', aggregate: 'email' },
  EmailDelivered: { schema: mailer.EmailDelivered, stream: 'MAILER', aggregate: 'email' },
  EmailOpened: { schema: mailer.EmailOpened, stream: 'MAILER', aggregate: 'email' },
  EmailClicked: { schema: mailer.EmailClicked, stream: 'MAILER', aggregate: 'email' },
  EmailBounced: { schema: mailer.EmailBounced, stream: 'MAILER', aggregate: 'email' },
  EmailDropped: { schema: mailer.EmailDropped, stream: 'MAILER', aggregate: 'email' },
  EmailSpamReported: { schema: mailer.EmailSpamReported, stream: 'MAILER', aggregate: 'email' },
  EmailUnsubscribed: { schema: mailer.EmailUnsubscribed, stream: 'MAILER', aggregate: 'email' },
  EmailWebhookRecorded: { schema: mailer.EmailWebhookRecorded, stream: 'MAILER', aggregate: 'email' },
} as const satisfies Record<string, { schema: TSchema; stream: StreamName; aggregate: AggregateName }>;

export type EventType = keyof typeof EVENTS;
export type EventData<T extends EventType> = Static<(typeof EVENTS)[T]['schema']>;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];
export const isEventType = (t: string): t is EventType => Object.hasOwn(EVENTS, t);
