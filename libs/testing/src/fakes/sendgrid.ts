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
 * accepting, or drop connections. `delayMs` (or `setDelay`) makes every answer take that long.
 */
export async function startFakeSendGrid(opts: { delayMs?: number } = {}): Promise<FakeSendGrid> {
  const ids = new WeakMap<RecordedRequest, string>();
  const fake = await startHttpFake((req) => {
    const id = randomBytes(16).toString('base64url');
    ids.set(req, id);
    return { status: 202, headers: { 'x-message-id': id } };
  }, { match: (method, path) => method === 'POST' && path.startsWith('/v3/mail/send'), ...opts });
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

/** One SendGrid Inbound Parse post, as SendGrid builds it (multipart/form-data; parsed mode unless `email` is given). */
export type InboundMessage = {
  from: string;
  to: string;
  subject: string;
  text?: string;
  html?: string;
  /** Header lines of the message (joined with CRLF into the `headers` field). */
  headers?: string[];
  envelope?: { to: string[]; from: string };
  attachments?: { filename: string; type: string; content: Uint8Array | string }[];
  /** Raw mode: the whole message instead of text/html/headers. */
  email?: string;
};

/**
 * Posts an inbound message to the gateway's `/webhook/sendgrid/inbound` the way SendGrid
 * Inbound Parse does: a real multipart body built with the platform's FormData, HTTP Basic
 * auth with the configured password (SendGrid puts it in the webhook URL).
 */
export async function postInbound(baseUrl: string, password: string | null, m: InboundMessage): Promise<{ status: number; body: any }> {
  const form = new FormData();
  const headerLines = m.headers ?? [`From: ${m.from}`, `To: ${m.to}`, `Subject: ${m.subject}`];
  if (m.email !== undefined) form.set('email', m.email);
  else {
    form.set('headers', headerLines.join('\r\n'));
    if (m.text !== undefined) form.set('text', m.text);
    if (m.html !== undefined) form.set('html', m.html);
  }
  form.set('from', m.from);
  form.set('to', m.to);
  form.set('subject', m.subject);
  form.set('envelope', JSON.stringify(m.envelope ?? { to: [m.to], from: m.from }));
  const files = m.attachments ?? [];
  form.set('attachments', String(files.length));
  files.forEach((f, i) => form.set(`attachment${i + 1}`, new Blob([f.content], { type: f.type }), f.filename));
  const res = await fetch(`${baseUrl}/webhook/sendgrid/inbound`, {
    method: 'POST',
    headers: password === null ? {} : { authorization: `Basic ${Buffer.from(`sendgrid:${password}`).toString('base64')}` },
    body: form,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}
