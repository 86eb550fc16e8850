import { Type } from '@sinclair/typebox';
import { Email, Timestamp, Uuid } from '../common.ts';

const EmailRef = {
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
};
export const EmailSent = Type.Object({
  ...EmailRef,
  to_email: Email,
  provider: Type.String(),
  message_id: Type.String(),
  sent_at: Timestamp,
  attempts: Type.Integer({ minimum: 1 }),
  /**
   * Set when nobody saw the provider accept it: the outcome was unknown and then either the
   * agent confirmed it went out (`agent`: `resolve_unknown mark_sent`; `message_id` is then
   * `unknown`) or SendGrid's webhook reported on it (`provider`: any event but `dropped`;
   * `message_id` is the report's `sg_message_id` prefix, or `unknown` without one).
   */
  confirmed_by: Type.Optional(Type.Union([Type.Literal('agent'), Type.Literal('provider')])),
});
export const EmailFailed = Type.Object({
  ...EmailRef,
  provider: Type.String(),
  reason: Type.String({ maxLength: 2000 }),
  attempts: Type.Integer({ minimum: 0 }),
});
/** The send was attempted but its outcome is unknown (crash between provider and ack): never resent blindly. */
export const EmailSendUnknown = Type.Object({ ...EmailRef, provider: Type.String(), reason: Type.String() });
/**
 * The agent chose to send an `unknown` email again (`resolve_unknown resend`); the mailer's
 * `mailer-resends` consumer sends it and records EmailSent | EmailFailed | EmailSuppressed, or
 * EmailSendUnknown again if it is interrupted.
 */
export const EmailResendRequested = Type.Object({ ...EmailRef });
export const EmailSuppressed = Type.Object({ ...EmailRef, to_email: Email, reason: Type.String() });

/** One SendGrid webhook event, as recorded. */
export const WebhookEventData = Type.Object({
  ...EmailRef,
  sg_event_id: Type.String(),
  event: Type.String(),
  timestamp: Timestamp,
  url: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  sg_message_id: Type.Optional(Type.String()),
});
export const EmailDelivered = WebhookEventData;
export const EmailOpened = WebhookEventData;
export const EmailClicked = WebhookEventData;
export const EmailBounced = WebhookEventData;
export const EmailDropped = WebhookEventData;
export const EmailSpamReported = WebhookEventData;
export const EmailUnsubscribed = WebhookEventData;
/** Webhook events we don't act on (deferred, processed, group_unsubscribe, …) are kept in history. */
export const EmailWebhookRecorded = WebhookEventData;
