import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { type EmailSender, type OutgoingEmail, SendError } from './types.ts';

export type SendGridOptions = { apiKey: string; baseUrl: string; timeoutMs: number };

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SendGrid through the official `@sendgrid/mail`, on a `@sendgrid/client` pointed at
 * `baseUrl` (setApiKey first: it resets the base URL). One call = one HTTP request; the
 * mailer owns retries, because only it knows whether a retry could send twice.
 */
export function sendGridSender(opts: SendGridOptions): EmailSender {
  const client = new Client();
  client.setApiKey(opts.apiKey);
  client.setDefaultRequest('baseUrl', opts.baseUrl);
  client.setDefaultRequest('timeout' as never, opts.timeoutMs as never);
  const mail = new MailService();
  mail.setClient(client);

  return {
    provider: 'sendgrid',
    async send(m: OutgoingEmail) {
      try {
        const [res] = await mail.send({
          to: m.to,
          from: m.from,
          ...(m.replyTo ? { replyTo: m.replyTo } : {}),
          subject: m.subject,
          text: m.text,
          html: m.html,
          headers: m.headers,
          customArgs: m.customArgs,
        });
        const id = (res.headers as Record<string, unknown>)['x-message-id'];
        return { messageId: typeof id === 'string' && id ? id : `sendgrid-${m.emailId}` };
      } catch (err) {
        throw classify(err);
      }
    },
  };
}

function classify(err: unknown): SendError {
  const e = err as { code?: unknown; message?: string; response?: { headers?: Record<string, unknown>; body?: unknown } };
  if (typeof e.code === 'number' && e.response) {
    const status = e.code;
    const body = e.response.body as { errors?: { message?: string; field?: string | null }[] } | undefined;
    const detail =
      body?.errors?.map((x) => [x.message, x.field ? `(${x.field})` : ''].filter(Boolean).join(' ')).join('; ') || e.message || 'error';
    const message = `SendGrid ${status}: ${detail}`.slice(0, 1000);
    if (status === 429 || status >= 500) {
      const ra = Number(e.response.headers?.['retry-after']);
      return new SendError('transient', message, { status, retryAfterMs: Number.isFinite(ra) && ra >= 0 ? ra * 1000 : null, cause: err });
    }
    return new SendError('permanent', message, { status, cause: err });
  }
  const code = typeof e.code === 'string' ? e.code : '';
  if (NOT_SENT.has(code)) return new SendError('transient', `SendGrid unreachable (${code})`, { cause: err });
  return new SendError('ambiguous', `SendGrid request outcome unknown (${code || e.message || 'error'})`, { cause: err });
}
