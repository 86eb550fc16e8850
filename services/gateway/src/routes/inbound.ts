import { createHash, timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type CommandPayload, NO_AGENT, ProblemDetails } from '@realtoros/contracts';
import { storableText as storableTextOf } from '@realtoros/messaging';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from '../errors/index.ts';
import { execute } from '../plugins/commands.ts';
import { webhookRateLimit } from '../plugins/rate-limit.ts';

/**
 * Limits of one Inbound Parse post. SendGrid's own ceiling for a message is 30 MB; past ours
 * the answer is a 413 that says which limit, and nothing is recorded.
 */
export const INBOUND_LIMITS = {
  /** The whole post. */
  totalBytes: 30 * 1024 * 1024,
  /** One attachment (streamed and counted, never kept). */
  fileBytes: 25 * 1024 * 1024,
  files: 50,
  /** One text field (`text`, `html`, `headers`, `email` …). */
  fieldBytes: 4 * 1024 * 1024,
  fields: 64,
} as const;
/** A too-large post up to this size is read through (and dropped) before the 413, so the sender can read it. */
const DRAIN_LIMIT_BYTES = 128 * 1024 * 1024;
/** What reaches the mailer of `text`/`html`: a reply's own words come first, quoted history after. */
const KEPT_TEXT_CHARS = 262_144;

type InboundPost = CommandPayload<'mailer', 'record_inbound'>;

const sha = (s: string) => createHash('sha256').update(s).digest();
/** The Basic auth password, compared in constant time (hashing first makes the lengths equal). */
function authorised(header: string | undefined, secret: string | undefined): boolean {
  if (!secret || !header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return timingSafeEqual(sha(decoded.slice(colon + 1)), sha(secret));
}

const tooLarge = (what: string) =>
  new HttpProblem(413, 'Payload Too Large', `${what}; nothing was recorded.`);

/**
 * `POST /webhook/sendgrid/inbound`: SendGrid Inbound Parse (multipart/form-data), guarded by
 * HTTP Basic auth whose password is INBOUND_PARSE_SECRET (Inbound Parse signs nothing). The
 * fields are read with their limits, attachments streamed through and kept as metadata only;
 * the mailer matches the message and records it. 200 once recorded — matched or not, so
 * SendGrid does not retry a message nobody can take for three days; 503 when the mailer is
 * down (SendGrid retries).
 */
export const inboundRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, {
    limits: {
      fileSize: INBOUND_LIMITS.fileBytes,
      files: INBOUND_LIMITS.files,
      fieldSize: INBOUND_LIMITS.fieldBytes,
      fields: INBOUND_LIMITS.fields,
      parts: INBOUND_LIMITS.files + INBOUND_LIMITS.fields,
    },
    throwFileSizeLimit: true,
  });
  const secret = app.deps.config.INBOUND_PARSE_SECRET;
  if (!secret) app.log.warn('INBOUND_PARSE_SECRET is not set: every inbound (reply) post is refused');

  app.post(
    '/webhook/sendgrid/inbound',
    {
      config: webhookRateLimit(app),
      schema: {
        tags: ['webhooks'],
        summary: 'SendGrid Inbound Parse: a reply to one of our emails',
        description:
          'multipart/form-data as SendGrid posts it (headers, from, to, subject, text, html, envelope, attachments, email). ' +
          'HTTP Basic auth, password INBOUND_PARSE_SECRET. 200 once recorded (matched or not); 401 bad credentials; 413 past the size limits.',
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('matched'), Type.Literal('auto_reply'), Type.Literal('unmatched'), Type.Literal('duplicate')]),
            inbound_id: Type.String(),
          }),
          400: ProblemDetails,
          401: ProblemDetails,
          413: ProblemDetails,
          503: ProblemDetails,
        },
      },
    },
    async (req, reply) => {
      if (!authorised(req.headers.authorization, secret)) {
        reply.header('www-authenticate', 'Basic realm="sendgrid-inbound"');
        throw new HttpProblem(401, 'Unauthorized', 'Inbound Parse credentials are missing or wrong.');
      }
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > INBOUND_LIMITS.totalBytes) {
        // Read what was sent (up to a bound) so the sender gets the answer instead of a reset
        // connection; past the bound, answer and close.
        if (length <= DRAIN_LIMIT_BYTES) for await (const _ of req.raw) void _;
        else reply.header('connection', 'close');
        throw tooLarge(`The post is ${length} bytes; at most ${INBOUND_LIMITS.totalBytes} are accepted`);
      }
      if (!req.isMultipart()) throw new HttpProblem(400, 'Invalid request', 'Expected multipart/form-data, as SendGrid Inbound Parse posts.');
      const fields = new Map<string, string>();
      const attachments: InboundPost['attachments'] = [];
      let total = 0;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            let size = 0;
            for await (const chunk of part.file) {
              size += (chunk as Buffer).length;
              total += (chunk as Buffer).length;
              if (total > INBOUND_LIMITS.totalBytes) throw tooLarge(`The post is over ${INBOUND_LIMITS.totalBytes} bytes`);
            }
            if (attachments.length < INBOUND_LIMITS.files)
              attachments.push({
                filename: storableTextOf(part.filename || 'attachment').slice(0, 255),
                content_type: storableTextOf(part.mimetype || 'application/octet-stream').slice(0, 255),
                size,
              });
          } else {
            const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
            total += Buffer.byteLength(value);
            if (total > INBOUND_LIMITS.totalBytes) throw tooLarge(`The post is over ${INBOUND_LIMITS.totalBytes} bytes`);
            if (part.valueTruncated && !['text', 'html', 'email'].includes(part.fieldname))
              throw tooLarge(`The field "${part.fieldname}" is over ${INBOUND_LIMITS.fieldBytes} bytes`);
            if (!fields.has(part.fieldname)) fields.set(part.fieldname, value);
          }
        }
      } catch (err) {
        if (err instanceof HttpProblem) throw err;
        const e = err as { code?: string; statusCode?: number; message?: string };
        if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(`An attachment is over ${INBOUND_LIMITS.fileBytes} bytes`);
        if (e.code === 'FST_FILES_LIMIT' || e.code === 'FST_FIELDS_LIMIT' || e.code === 'FST_PARTS_LIMIT')
          throw tooLarge(`The post has too many parts (at most ${INBOUND_LIMITS.files} attachments and ${INBOUND_LIMITS.fields} fields)`);
        throw new HttpProblem(400, 'Malformed multipart body', 'The multipart/form-data body could not be read.');
      }
      const field = (name: string, max: number) => storableTextOf(fields.get(name) ?? '').slice(0, max);
      const post: InboundPost = {
        received_at: new Date().toISOString(),
        headers: field('headers', 65_536),
        from: field('from', 1000),
        to: field('to', 4000),
        subject: field('subject', 1000),
        text: field('text', KEPT_TEXT_CHARS),
        html: field('html', KEPT_TEXT_CHARS),
        envelope: field('envelope', 8000),
        attachments,
      };
      // "raw" mode posts the whole message as `email` instead of text/html/headers: its header
      // block and body are enough to match it.
      const raw = fields.get('email');
      if (raw && !post.headers && !post.text) {
        const split = raw.search(/\r?\n\r?\n/);
        post.headers = storableTextOf(split > 0 ? raw.slice(0, split) : '').slice(0, 65_536);
        post.text = storableTextOf(split > 0 ? raw.slice(split).trim() : raw).slice(0, KEPT_TEXT_CHARS);
      }
      return execute<'mailer', 'record_inbound', { status: 'matched' | 'auto_reply' | 'unmatched' | 'duplicate'; inbound_id: string }>(
        app,
        req,
        'mailer',
        'record_inbound',
        post,
        { agentId: NO_AGENT, timeoutMs: 30_000 },
      );
    },
  );
};
