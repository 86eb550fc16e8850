import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.ts';

export type SentMail = {
  personalizations?: { to?: { email: string; name?: string }[]; custom_args?: Record<string, string> }[];
  from?: { email: string; name?: string };
  reply_to?: { email: string; name?: string };
  subject?: string;
  content?: { type: string; value: string }[];
  headers?: Record<string, string>;
  custom_args?: Record<string, string>;
};

export type FakeSendGrid = HttpFake & {
  /** `/v3/mail/send` requests received. */
  sends(): RecordedRequest[];
  /** Sends the fake answered with 2xx: what SendGrid would have accepted and delivered. */
  accepted(): RecordedRequest[];
  mailOf(req: RecordedRequest): SentMail;
  /** The X-Message-Id the fake answered a request with. */
  messageIdOf(req: RecordedRequest): string | undefined;
};

/**
 * A local SendGrid v3 API for `/v3/mail/send`, driven through the real `@sendgrid/mail`:
 * records every request and answers 202 with an `X-Message-Id` header; can be scripted to
 * fail (500, 429 with retry-after), answer 400 with SendGrid's error body, delay, hang after
 * accepting, or drop connections.
 */
export async function startFakeSendGrid(): Promise<FakeSendGrid> {
  const ids = new WeakMap<RecordedRequest, string>();
  const fake = await startHttpFake((req) => {
    const id = randomBytes(16).toString('base64url');
    ids.set(req, id);
    return { status: 202, headers: { 'x-message-id': id } };
  }, { match: (method, path) => method === 'POST' && path.startsWith('/v3/mail/send') });
  const sends = () => fake.requests.filter((r) => r.path.startsWith('/v3/mail/send'));
  return Object.assign(fake, {
    sends,
    accepted: () => sends().filter((r) => r.status !== null && r.status >= 200 && r.status < 300),
    mailOf: (req: RecordedRequest) => (req.body ?? {}) as SentMail,
    messageIdOf: (req: RecordedRequest) => ids.get(req),
  });
}

/** SendGrid's 400 answer body for a rejected message. */
export const sendGridError = (message: string, field: string | null = null) => ({ errors: [{ message, field, help: null }] });

export type WebhookSigner = {
  /** The verification key as SendGrid shows it: base64 of the SPKI DER. */
  publicKey: string;
  /** Signs `timestamp + payload` like SendGrid: ECDSA P-256 / SHA-256, base64 DER signature. */
  sign(payload: string, timestamp?: number): { signature: string; timestamp: string; headers: Record<string, string> };
};

/** A fresh ECDSA P-256 key pair that signs webhook payloads the way SendGrid does. */
export function createWebhookSigner(): WebhookSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKey: (publicKey as KeyObject).export({ type: 'spki', format: 'der' }).toString('base64'),
    sign(payload, timestamp = Math.floor(Date.now() / 1000)) {
      const ts = String(timestamp);
      const signature = sign('sha256', Buffer.from(ts + payload, 'utf8'), privateKey).toString('base64');
      return {
        signature,
        timestamp: ts,
        headers: {
          'content-type': 'application/json',
          'x-twilio-email-event-webhook-signature': signature,
          'x-twilio-email-event-webhook-timestamp': ts,
        },
      };
    },
  };
}

/** A SendGrid event webhook event as it arrives (custom args are top-level keys). */
export function sendGridEvent(fields: { event: string; email?: string; sg_message_id?: string; email_id?: string; agent_id?: string; url?: string; reason?: string; timestamp?: number; sg_event_id?: string }) {
  return {
    email: fields.email ?? 'client@example.com',
    timestamp: fields.timestamp ?? Math.floor(Date.now() / 1000),
    event: fields.event,
    sg_event_id: fields.sg_event_id ?? randomBytes(16).toString('base64url'),
    ...(fields.sg_message_id ? { sg_message_id: fields.sg_message_id } : {}),
    ...(fields.email_id ? { email_id: fields.email_id } : {}),
    ...(fields.agent_id ? { agent_id: fields.agent_id } : {}),
    ...(fields.url ? { url: fields.url } : {}),
    ...(fields.reason ? { reason: fields.reason } : {}),
  };
}
