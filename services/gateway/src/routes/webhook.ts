import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type CommandPayload, isStorableText, NO_AGENT, ProblemDetails } from '@realtoros/contracts';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from '../errors/index.ts';
import { execute } from '../plugins/commands.ts';
import { webhookRateLimit } from '../plugins/rate-limit.ts';

/** Signed more than this long ago (or this far in the future) → rejected as stale. */
export const WEBHOOK_MAX_AGE_S = 600;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Webhook batches name their tenant per event (custom args); the command's own is nil. */


type Event = CommandPayload<'mailer', 'record_webhook_events'>['events'][number];
/** A usable string: non-empty, bounded, and storable (no NUL or lone surrogate, which would make the batch unprojectable). */
const str = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max && isStorableText(v) ? v : undefined);

/** Keeps what we use from one SendGrid event; null when it can't be recorded. */
function normalise(raw: unknown): Event | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const sg_event_id = str(r.sg_event_id, 200);
  const event = str(r.event, 64);
  const timestamp = typeof r.timestamp === 'number' && Number.isInteger(r.timestamp) && r.timestamp >= 0 ? r.timestamp : undefined;
  if (!sg_event_id || !event || timestamp === undefined) return null;
  const e: Event = { sg_event_id, event, timestamp };
  const opt = {
    email: str(r.email, 320),
    sg_message_id: str(r.sg_message_id, 500),
    url: str(r.url, 4000),
    reason: str(r.reason, 2000) ?? str(r.response, 2000),
    email_id: str(r.email_id, 64),
    agent_id: str(r.agent_id, 64),
  };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (e as Record<string, unknown>)[k] = v;
  return e;
}

/**
 * `POST /webhook/sendgrid`: SendGrid's signed event webhook. The signature (ECDSA P-256 over
 * `timestamp + raw body`) is checked on the bytes as received, so this plugin, and only it,
 * keeps the raw body (its own content-type parser; the rest of the API parses JSON as
 * usual). Nothing is recorded unless the signature and a fresh timestamp check out; then the
 * batch goes to the mailer, which maps, deduplicates and records each event.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
  const ew = new EventWebhook();
  const configured = app.deps.config.SENDGRID_WEBHOOK_PUBLIC_KEY;
  let publicKey: ReturnType<EventWebhook['convertPublicKeyToECDSA']> | null = null;
  try {
    publicKey = configured ? ew.convertPublicKeyToECDSA(configured) : null;
  } catch {
    throw new Error('Invalid configuration: SENDGRID_WEBHOOK_PUBLIC_KEY is not a base64 ECDSA public key (as SendGrid shows it)');
  }

  const verified = (raw: Buffer, signature: string | undefined, timestamp: string | undefined, now: number): boolean => {
    if (!publicKey || !signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
    if (Math.abs(now - Number(timestamp)) > WEBHOOK_MAX_AGE_S) return false;
    try {
      return ew.verifySignature(publicKey, raw.toString('utf8'), signature, timestamp);
    } catch {
      return false;
    }
  };

  app.post(
    '/webhook/sendgrid',
    {
      config: webhookRateLimit(app),
      schema: {
        tags: ['webhooks'],
        description: 'SendGrid event webhook (signed). 401 when the signature or timestamp fails.',
        response: {
          200: Type.Object({ processed: Type.Integer(), failed: Type.Integer(), total: Type.Integer() }),
          400: ProblemDetails,
          401: ProblemDetails,
          503: ProblemDetails,
        },
      },
    },
    async (req) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const header = (name: string) => (req.headers[name] as string | undefined)?.trim();
      if (!publicKey) req.log.warn('SENDGRID_WEBHOOK_PUBLIC_KEY is not set: rejecting webhook');
      if (
        !verified(
          raw,
          header('x-twilio-email-event-webhook-signature'),
          header('x-twilio-email-event-webhook-timestamp'),
          Math.floor(Date.now() / 1000),
        )
      )
        throw new HttpProblem(401, 'Unauthorized', 'The webhook signature or timestamp is invalid.');
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpProblem(400, 'Malformed JSON', 'The body is not valid JSON.');
      }
      if (!Array.isArray(parsed)) throw new HttpProblem(400, 'Invalid request', 'Expected a JSON array of events.');
      const events = parsed.map(normalise);
      const valid = events.filter((e): e is Event => e !== null);
      const invalid = events.length - valid.length;
      let processed = 0;
      let failed = 0;
      for (let i = 0; i < valid.length; i += 1000) {
        const r = await execute<'mailer', 'record_webhook_events', { processed: number; failed: number }>(
          app,
          req,
          'mailer',
          'record_webhook_events',
          { events: valid.slice(i, i + 1000) },
          { agentId: NO_AGENT, timeoutMs: 30_000 },
        );
        processed += r.processed;
        failed += r.failed;
      }
      return { processed, failed: failed + invalid, total: events.length };
    },
  );
};
