import type { EmailListQuery, EmailLog, PageOf, WebhookEvent } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { sql } from 'kysely';
import { offsetOf, pageTotal, summedTotal, toJson, totalOf } from './rows.ts';

/**
 * Email history. As everywhere in this module set, `agent_id = $agent` is the first
 * condition, so an agent only ever sees its own emails.
 */
function emailsOf(db: Db, agentId: string) {
  return withClient(agentEmails(db, agentId));
}

const agentEmails = (db: Db, agentId: string) => db.selectFrom('email_logs as e').where('e.agent_id', '=', agentId);

/** The client's name beside each email (at most one client per email: the count is the same without it). */
function withClient(q: ReturnType<typeof agentEmails>) {
  return q.leftJoin('clients as c', (j) => j.onRef('c.id', '=', 'e.client_id').onRef('c.agent_id', '=', 'e.agent_id'));
}

const COLUMNS = [
  'e.id',
  'e.agent_id',
  'e.task_id',
  'e.client_id',
  'e.to_email',
  'e.subject',
  'e.body',
  'e.status',
  'e.sendgrid_message_id',
  'e.provider',
  'e.model',
  'e.created_at',
  'e.sent_at',
  'e.opened_at',
  'e.clicked_at',
  'e.error_message',
  'e.retry_count',
  'e.delivered_at',
  'e.webhook_event_count',
  'e.open_count',
  'e.click_count',
  'c.name as client_name',
] as const;

/** How many of an email's SendGrid reports a list carries (the latest); its own page has them all. */
export const LIST_WEBHOOK_EVENTS = 5;

type EventRow = { email_id: string; sg_event_id: string; event: string; occurred_at: Date; url: string | null; reason: string | null };
const toWebhookEvent = (r: EventRow): WebhookEvent => ({
  sg_event_id: r.sg_event_id,
  event: r.event,
  timestamp: r.occurred_at.toISOString(),
  ...(r.url !== null ? { url: r.url } : {}),
  ...(r.reason !== null ? { reason: r.reason } : {}),
});

/**
 * The latest `perEmail` reports of the page's email `p`, oldest first, as a JSON column of the
 * page's own statement: one index range scan per email (email_events_email_time_idx,
 * backwards, LIMIT). It was a second statement after the page; a statement is a round trip,
 * a query to build and a socket write, which is what a read of this size costs. Shaped as
 * `toWebhookEvent` shapes a row: ISO timestamps with milliseconds (what `Date.toISOString`
 * gives), no `url` / `reason` key when null (json_strip_nulls; the other keys are NOT NULL).
 */
const latestEventsOfPage = (agentId: string, perEmail: number) =>
  sql<WebhookEvent[]>`(
    SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
      'sg_event_id', x.sg_event_id, 'event', x.event,
      'timestamp', to_char(x.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'url', x.url, 'reason', x.reason)) ORDER BY x.occurred_at, x.sg_event_id), '[]'::json)
    FROM (
      SELECT sg_event_id, event, occurred_at, url, reason FROM email_events
      WHERE agent_id = ${agentId} AND email_id = p.id
      ORDER BY occurred_at DESC, sg_event_id DESC LIMIT ${perEmail}
    ) AS x)`.as('webhook_events');

/**
 * The list's total. One client's emails: a count of a short range of email_logs_agent_client_idx.
 * Otherwise (all the agent's emails, or one status) the sum of the agent's buckets in the
 * dashboard summary, which counts email_logs rows per status exactly (see `summedTotal`):
 * counting 50,000 index entries per request made this list cost ten plain SELECTs.
 */
function emailTotal(db: Db, agentId: string, q: EmailFilter, base: ReturnType<typeof agentEmails>) {
  if (q.client_id) return totalOf(base);
  let counts = db.selectFrom('dashboard_email_counts').where('agent_id', '=', agentId);
  if (q.status) counts = counts.where('status', '=', q.status);
  return summedTotal(counts);
}

export async function listEmails(db: Db, agentId: string, q: EmailListQuery): Promise<PageOf<EmailLog>> {
  // Filtered without the join: the total (emailTotal) never reads clients; the page joins.
  let base = agentEmails(db, agentId);
  if (q.client_id) base = base.where('e.client_id', '=', q.client_id);
  if (q.status) base = base.where('e.status', '=', q.status);
  const page = withClient(base)
    .select([...COLUMNS, emailTotal(db, agentId, q, base)])
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(q.limit)
    .offset(offsetOf(q));
  // The page's reports are read around the page (a subquery with LIMIT is never flattened),
  // so they are looked up for its `limit` rows whatever plan the page gets.
  const { rows, total } = await pageTotal(
    await db
      .selectFrom(page.as('p'))
      .selectAll('p')
      .select(latestEventsOfPage(agentId, LIST_WEBHOOK_EVENTS))
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id', 'desc')
      .execute(),
    base,
    offsetOf(q),
  );
  return {
    items: rows.map(({ webhook_events, ...r }) => ({ ...toJson(r), webhook_events }) as unknown as EmailLog),
    total,
    page: q.page,
    limit: q.limit,
  };
}

const PROVENANCE = [
  'e.prompt_version',
  'e.fallback_reason',
  'e.facts',
  'e.review_reason',
  'e.approved_by',
  'e.approved_at',
  'e.rejected_at',
  'e.rejected_reason',
  'e.ai_subject',
  'e.ai_body',
] as const;

/** One email with its whole SendGrid history in time order, and where its text came from. */
export async function getEmail(db: Db, agentId: string, id: string): Promise<EmailLog | undefined> {
  const found = await emailsOf(db, agentId)
    .select([...COLUMNS, ...PROVENANCE])
    .where('e.id', '=', id)
    .executeTakeFirst();
  if (!found) return undefined;
  const {
    prompt_version,
    fallback_reason,
    facts,
    review_reason,
    approved_by,
    approved_at,
    rejected_at,
    rejected_reason,
    ai_subject,
    ai_body,
    ...row
  } = found;
  // Emails written before provenance was recorded (no facts, no review) show what is known: the writer.
  const provenance =
    row.provider === null
      ? null
      : {
          provider: row.provider,
          model: row.model ?? '',
          prompt_version,
          fallback_reason,
          facts: facts ?? [],
          review_reason,
          approved_by,
          approved_at: approved_at?.toISOString() ?? null,
          rejected_at: rejected_at?.toISOString() ?? null,
          rejected_reason,
          ai_subject,
          ai_body,
        };
  const history = await db
    .selectFrom('email_events')
    .select(['email_id', 'sg_event_id', 'event', 'occurred_at', 'url', 'reason'])
    .where('agent_id', '=', agentId)
    .where('email_id', '=', id)
    .orderBy('occurred_at')
    .orderBy('sg_event_id')
    .execute();
  return { ...toJson(row), webhook_events: history.map(toWebhookEvent), provenance } as unknown as EmailLog;
}

/** The last emails actually sent to one client (newest first): context for the next one. */
export async function recentEmailsTo(
  db: Db,
  agentId: string,
  clientId: string,
  limit = 3,
): Promise<{ subject: string; body: string; sent_at: string }[]> {
  const rows = await db
    .selectFrom('email_logs')
    .select(['subject', 'body', 'sent_at'])
    .where('agent_id', '=', agentId)
    .where('client_id', '=', clientId)
    .where('sent_at', 'is not', null)
    .orderBy('sent_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ subject: r.subject ?? '', body: r.body ?? '', sent_at: (r.sent_at as Date).toISOString() }));
}

/** The list's filters without paging: what an export of the email history selects. */
export type EmailFilter = Pick<EmailListQuery, 'client_id' | 'status'>;

/** Columns of the email-history export: the record of what was sent to whom, and what became of it. */
const EXPORT_COLUMNS = [
  'e.id',
  'e.created_at',
  'e.sent_at',
  'e.client_id',
  'c.name as client_name',
  'e.to_email',
  'e.subject',
  'e.body',
  'e.status',
  'e.delivered_at',
  'e.opened_at',
  'e.clicked_at',
  'e.open_count',
  'e.click_count',
  'e.error_message',
] as const;

/**
 * Every email matching the filters, newest first (the list's order), a batch at a time by
 * keyset on (created_at, id): an export of 50,000 emails holds one batch in memory and each
 * batch is an index range, not an ever-deeper OFFSET.
 */
export async function* emailsForExport(db: Db, agentId: string, q: EmailFilter, batch = 500) {
  let after: { created_at: Date; id: string } | null = null;
  for (;;) {
    let page = agentEmails(db, agentId);
    if (q.client_id) page = page.where('e.client_id', '=', q.client_id);
    if (q.status) page = page.where('e.status', '=', q.status);
    if (after) {
      const a: { created_at: Date; id: string } = after;
      page = page.where((eb) =>
        eb.or([eb('e.created_at', '<', a.created_at), eb.and([eb('e.created_at', '=', a.created_at), eb('e.id', '<', a.id)])]),
      );
    }
    const rows = await withClient(page)
      .select(EXPORT_COLUMNS)
      .orderBy('e.created_at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(batch)
      .execute();
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    after = { created_at: last.created_at as Date, id: last.id };
  }
}
