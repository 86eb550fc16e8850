import { Type } from '@sinclair/typebox';
import { Email, Text, Timestamp, Uuid } from '../common.ts';

// Every string that comes from outside (SendGrid's answers and reports, provider errors) is
// Text(): no NUL or lone surrogate, so newEvent refuses to append one and the projector never
// meets one.

const EmailRef = {
  task_id: Type.Union([Uuid, Type.Null()]),
  client_id: Uuid,
};
export const EmailSent = Type.Object({
  ...EmailRef,
  to_email: Email,
  provider: Text(),
  message_id: Text(),
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
  provider: Text(),
  reason: Text({ maxLength: 2000 }),
  attempts: Type.Integer({ minimum: 0 }),
});
/** The send was attempted but its outcome is unknown (crash between provider and ack): never resent blindly. */
export const EmailSendUnknown = Type.Object({ ...EmailRef, provider: Text(), reason: Text() });
/**
 * The agent chose to send an `unknown` email again (`resolve_unknown resend`); the mailer's
 * `mailer-resends` consumer sends it and records EmailSent | EmailFailed | EmailSuppressed, or
 * EmailSendUnknown again if it is interrupted.
 */
export const EmailResendRequested = Type.Object({ ...EmailRef });
export const EmailSuppressed = Type.Object({ ...EmailRef, to_email: Email, reason: Text() });

/** One SendGrid webhook event, as recorded. */
export const WebhookEventData = Type.Object({
  ...EmailRef,
  sg_event_id: Text(),
  event: Text(),
  timestamp: Timestamp,
  url: Type.Optional(Text()),
  reason: Type.Optional(Text()),
  sg_message_id: Type.Optional(Text()),
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

// ---------------------------------------------------------------------------------------
// Replies (issue 9): SendGrid Inbound Parse posts each message to the gateway; the mailer
// matches it to an email we sent and records it on the client's reply subject
// (`mail.<agent>.client.<client_id>`), or records it for ops as unmatched
// (`mail.<nil agent>.inbound.<inbound_id>`: no agent's data).

/** An attachment as kept: metadata only, the content is never stored. */
export const InboundAttachment = Type.Object({
  filename: Text({ maxLength: 255 }),
  content_type: Text({ maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
});
export const ClientReplied = Type.Object({
  client_id: Uuid,
  /** deterministicId of the message (its Message-ID, else its content): SendGrid posting it again records nothing new. */
  inbound_id: Uuid,
  /** The email it answers. */
  email_id: Uuid,
  matched_by: Type.Union([Type.Literal('token'), Type.Literal('in_reply_to'), Type.Literal('references')]),
  from_email: Email,
  from_name: Type.Union([Text({ maxLength: 200 }), Type.Null()]),
  subject: Text({ maxLength: 500 }),
  /** The new text, quoted history stripped. */
  text: Text({ maxLength: 10000 }),
  received_at: Timestamp,
  /** Why it was taken for an automatic reply (out of office…): it pauses the plan instead of ending it. Null: a person wrote it. */
  auto_reply: Type.Union([Text({ maxLength: 200 }), Type.Null()]),
  message_id: Type.Union([Text({ maxLength: 500 }), Type.Null()]),
  attachments: Type.Array(InboundAttachment, { maxItems: 50 }),
});
/** A message we could not attach to anybody: recorded for ops (no body, no agent's data). */
export const InboundUnmatched = Type.Object({
  inbound_id: Uuid,
  reason: Text({ maxLength: 300 }),
  from_email: Type.Union([Text({ maxLength: 320 }), Type.Null()]),
  to: Text({ maxLength: 1000 }),
  subject: Text({ maxLength: 500 }),
  received_at: Timestamp,
  message_id: Type.Union([Text({ maxLength: 500 }), Type.Null()]),
});
