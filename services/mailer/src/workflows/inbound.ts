import { replyTokenOf, verifyReplyToken } from '@realtoros/auth';
import { type CommandPayload, type EventData, isStorableText, NO_AGENT } from '@realtoros/contracts';
import { ConcurrencyError, createCommandHandler, type Decider, deterministicId, type EventStore, newEvent, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { addressOf } from '../inbound/address.ts';
import { autoReplyReason } from '../inbound/auto-reply.ts';
import { messageIdsIn, parseHeaders } from '../inbound/headers.ts';
import { htmlToText, stripQuotedHistory } from '../inbound/quoted.ts';
import { type AttemptRecord, type MailerState, messageKey, readJson } from '../state.ts';

export type InboundPost = CommandPayload<'mailer', 'record_inbound'>;
export type InboundStatus = 'matched' | 'auto_reply' | 'unmatched' | 'duplicate';
export type InboundDeps = {
  store: EventStore;
  state: MailerState;
  log: Logger;
  /** The key reply tokens are signed with (JWT_SECRET, under its own label). */
  secret: string;
  /** INBOUND_DOMAIN; null → only In-Reply-To / References can match. */
  inboundDomain: string | null;
  /** The domain our Message-IDs use when there is no inbound domain (the sender's). */
  messageIdDomain: string;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------------------------------
// The client's replies (`mail.<agent>.client.<client>`): each message once, whatever SendGrid posts again.

type RepliesState = { inbound: ReadonlySet<string> };
type RecordReply = { type: 'RecordReply'; data: EventData<'ClientReplied'> };
const repliesDecider: Decider<RecordReply, RepliesState, 'ClientReplied'> = {
  initialState: { inbound: new Set() },
  evolve: (s, e) => ({ inbound: new Set([...s.inbound, e.data.inbound_id]) }),
  decide: (c, s) => (s.inbound.has(c.data.inbound_id) ? [] : [{ type: 'ClientReplied', data: c.data }]),
};

/** What a post says, read once: pure, so every matching rule reads as a unit spec. */
export type ReadInbound = {
  inboundId: string;
  messageId: string | null;
  from: { email: string; name: string | null } | null;
  /** Tokens found in To / the envelope's recipients: verified → the email they name; forged → null. */
  tokens: (string | null)[];
  inReplyTo: string[];
  references: string[];
  autoReply: string | null;
  subject: string;
  text: string;
};

export function readInbound(p: InboundPost, opts: Pick<InboundDeps, 'secret' | 'inboundDomain'>): ReadInbound {
  const headers = parseHeaders(p.headers);
  const header = (name: string) => headers.get(name)?.[0];
  const messageId = messageIdsIn(header('message-id'))[0] ?? null;
  const subject = (p.subject || header('subject') || '').replace(/[\r\n]+/g, ' ').trim().slice(0, 500);
  const body = p.text.trim() ? p.text : htmlToText(p.html);
  const recipients = [p.to, ...envelopeRecipients(p.envelope)];
  const tokens = opts.inboundDomain
    ? recipients.flatMap((r) => r.split(',')).flatMap((addr) => {
        const token = replyTokenOf(addr, opts.inboundDomain!);
        return token === null ? [] : [verifyReplyToken(opts.secret, token)?.email_id ?? null];
      })
    : [];
  return {
    // SendGrid posts a message again when our answer was lost: the same message, the same id.
    inboundId: deterministicId('inbound', messageId ?? `${p.from}\n${p.to}\n${subject}\n${header('date') ?? ''}\n${p.text.slice(0, 2000)}`),
    messageId: messageId ? messageId.slice(0, 500) : null,
    from: addressOf(p.from) ?? addressOf(envelopeSender(p.envelope) ?? ''),
    tokens,
    inReplyTo: messageIdsIn(header('in-reply-to')),
    references: messageIdsIn(header('references')),
    autoReply: autoReplyReason(headers, subject),
    subject,
    text: storableText(stripQuotedHistory(body)).slice(0, 10_000),
  };
}

function envelopeJson(envelope: string): { to?: unknown; from?: unknown } {
  try {
    const v = JSON.parse(envelope) as unknown;
    return v && typeof v === 'object' ? (v as { to?: unknown; from?: unknown }) : {};
  } catch {
    return {};
  }
}
const envelopeRecipients = (envelope: string): string[] => {
  const to = envelopeJson(envelope).to;
  return Array.isArray(to) ? to.filter((x): x is string => typeof x === 'string').slice(0, 50) : [];
};
const envelopeSender = (envelope: string): string | null => {
  const from = envelopeJson(envelope).from;
  return typeof from === 'string' ? from : null;
};

type Sent = { emailId: string; rec: AttemptRecord };

/**
 * Records one SendGrid Inbound Parse post. Matched — by a verified Reply-To token, else by a
 * Message-ID of ours in In-Reply-To, else in References — it becomes ClientReplied on the
 * client's reply subject (the scheduler ends or pauses the plan); anything else becomes
 * InboundUnmatched under the nil agent, for ops, and touches nobody. A forged token, an
 * unknown email, or signals that name two different agents are never guessed between.
 */
export async function recordInbound(deps: InboundDeps, p: InboundPost, correlationId: string): Promise<{ status: InboundStatus; inbound_id: string }> {
  const m = readInbound(p, deps);
  const sentEmail = async (emailId: string | null): Promise<Sent | null> => {
    if (!emailId) return null;
    const rec = readJson<AttemptRecord>(await deps.state.attempts.get(emailId));
    return rec ? { emailId, rec } : null;
  };
  const viaToken = m.tokens.length ? await sentEmail(m.tokens.find((t) => t !== null) ?? null) : null;
  const viaHeader = async (ids: string[]) => {
    for (const id of ids) {
      const found = await sentEmail(await emailIdOfMessageId(deps, id));
      if (found) return found;
    }
    return null;
  };
  const inReplyTo = await viaHeader(m.inReplyTo);
  const references = inReplyTo ? null : await viaHeader(m.references);
  const byHeader = inReplyTo ?? references;

  let unmatched: string | null = null;
  let target: (Sent & { matched_by: EventData<'ClientReplied'>['matched_by'] }) | null = null;
  if (m.tokens.length && !viaToken) unmatched = m.tokens.some((t) => t !== null) ? 'the reply token names no email we sent' : 'the reply token is not ours (bad signature)';
  else if (viaToken && byHeader && byHeader.rec.agent_id !== viaToken.rec.agent_id) unmatched = 'the reply token and In-Reply-To/References name different agents';
  else if (viaToken) target = { ...viaToken, matched_by: 'token' };
  else if (byHeader) target = { ...byHeader, matched_by: inReplyTo ? 'in_reply_to' : 'references' };
  else unmatched = 'no reply token, and no In-Reply-To/References of an email we sent';
  if (target && !m.from) {
    target = null;
    unmatched = 'the sender has no usable address';
  }

  const receivedAt = p.received_at;
  if (!target || !m.from) {
    const event = newEvent('InboundUnmatched', {
      id: deterministicId('InboundUnmatched', m.inboundId),
      agentId: NO_AGENT,
      aggregateId: m.inboundId,
      correlationId,
      causationId: m.inboundId,
      data: {
        inbound_id: m.inboundId,
        reason: unmatched ?? 'unmatched',
        from_email: m.from?.email.slice(0, 320) ?? (p.from.slice(0, 320) || null),
        to: p.to.slice(0, 1000),
        subject: m.subject,
        received_at: receivedAt,
        message_id: m.messageId,
      },
    });
    // Expecting an empty subject: posted again, it is a duplicate, not a second record.
    const r = await deps.store.append(event, { expectedLastSubjectSeq: 0 }).catch((err: Error) => {
      if (err instanceof ConcurrencyError) return null;
      throw err;
    });
    deps.log.info({ inbound_id: m.inboundId, reason: unmatched }, 'inbound message matched nobody; recorded for ops');
    return { status: r && !r.duplicate ? 'unmatched' : 'duplicate', inbound_id: m.inboundId };
  }

  const { rec } = target;
  const email = m.from.email;
  const data: EventData<'ClientReplied'> = {
    client_id: rec.client_id,
    inbound_id: m.inboundId,
    email_id: target.emailId,
    matched_by: target.matched_by,
    from_email: email,
    from_name: m.from.name && isStorableText(m.from.name) ? m.from.name.slice(0, 200) : null,
    subject: m.subject,
    text: m.text,
    received_at: receivedAt,
    auto_reply: m.autoReply ? m.autoReply.slice(0, 200) : null,
    message_id: m.messageId,
    attachments: p.attachments.slice(0, 50),
  };
  const replies = createCommandHandler(deps.store, repliesDecider, { stream: 'MAILER', aggregate: 'client' });
  const r = await replies.handle(
    { agentId: rec.agent_id, aggregateId: rec.client_id },
    { type: 'RecordReply', data },
    { correlationId, causationId: m.inboundId },
  );
  if (r.events.length === 0) return { status: 'duplicate', inbound_id: m.inboundId };
  return { status: m.autoReply ? 'auto_reply' : 'matched', inbound_id: m.inboundId };
}

/**
 * The email a Message-ID names: ours (`<email_id@domain>`, the id we set on every email), or
 * SendGrid's own, whose local part starts with the X-Message-Id it answered the send with.
 */
async function emailIdOfMessageId(deps: InboundDeps, messageId: string): Promise<string | null> {
  const at = messageId.lastIndexOf('@');
  const local = at > 0 ? messageId.slice(0, at) : messageId;
  const domain = at > 0 ? messageId.slice(at + 1).toLowerCase() : '';
  const ours = [deps.inboundDomain, deps.messageIdDomain].filter(Boolean).map((d) => d!.toLowerCase());
  if (UUID.test(local) && ours.includes(domain)) return local.toLowerCase();
  for (const prefix of new Set([local, local.split('.')[0] ?? local])) {
    if (!prefix) continue;
    const found = readJson<{ email_id: string }>(await deps.state.messages.get(messageKey(prefix)));
    if (found?.email_id) return found.email_id;
  }
  return null;
}

