import { replyAddress, signUnsubscribeToken } from '@realtoros/auth';
import type { Envelope } from '@realtoros/contracts';
import type { Address, OutgoingEmail } from './providers/types.ts';

export type MessageOptions = {
  publicBaseUrl: string;
  jwtSecret: string;
  fromEmail: string;
  fromName: string;
  /** The sender's postal address (CAN-SPAM), when configured. */
  postalAddress: string | null;
  /** SendGrid Inbound Parse's domain: replies come back as reply+<token>@<it>; null → to the agent. */
  inboundDomain?: string | null;
};

/**
 * Our Message-ID for an email: the email id at the inbound domain (else the sender's), so a
 * reply's In-Reply-To / References name the email even when the Reply-To token was lost.
 */
export const messageIdFor = (emailId: string, domain: string) => `<${emailId}@${domain}>`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function unsubscribeUrl(opts: MessageOptions, claims: { agent_id: string; client_id: string; email_id: string }): string {
  return `${opts.publicBaseUrl.replace(/\/+$/, '')}/unsubscribe/${signUnsubscribeToken(opts.jwtSecret, claims)}`;
}

/**
 * The message for a generated email: the body, a visible unsubscribe link and the postal
 * address; RFC 8058 one-click headers; `custom_args` naming the email and its agent. The
 * sender is the platform's verified address under the agent's name. Replies go to
 * `reply+<signed token>@INBOUND_DOMAIN` (SendGrid Inbound Parse → the mailer, which stops the
 * plan), or to the agent's own address when no inbound domain is configured.
 */
export function buildMessage(event: Envelope<'EmailGenerated'>, agent: Address | null, opts: MessageOptions): OutgoingEmail {
  const d = event.data;
  const url = unsubscribeUrl(opts, { agent_id: event.agent_id, client_id: d.client_id, email_id: event.aggregate_id });
  const footer = [`Don't want these emails? Unsubscribe: ${url}`, ...(opts.postalAddress ? [opts.postalAddress] : [])];
  const text = `${d.body.trim()}\n\n--\n${footer.join('\n')}\n`;
  const paragraphs = d.body
    .trim()
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${paragraphs}
<hr><p style="font-size:12px;color:#666">Don't want these emails? <a href="${escapeHtml(url)}">Unsubscribe</a>.${
    opts.postalAddress ? `<br>${escapeHtml(opts.postalAddress)}` : ''
  }</p></body></html>`;
  const domain = opts.inboundDomain ?? opts.fromEmail.split('@')[1] ?? 'realtoros.local';
  const replyTo: Address | null = opts.inboundDomain
    ? { email: replyAddress(opts.jwtSecret, event.aggregate_id, opts.inboundDomain), name: agent?.name ?? opts.fromName }
    : agent?.email
      ? agent
      : null;
  return {
    emailId: event.aggregate_id,
    to: { email: d.to_email, name: d.to_name },
    from: { email: opts.fromEmail, name: agent?.name ?? opts.fromName },
    replyTo,
    subject: d.subject.replace(/[\r\n]+/g, ' ').trim(),
    text,
    html,
    headers: {
      'List-Unsubscribe': `<${url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Message-ID': messageIdFor(event.aggregate_id, domain),
    },
    customArgs: { email_id: event.aggregate_id, agent_id: event.agent_id },
  };
}
