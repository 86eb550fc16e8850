import type { EmailListQuery, EmailLog, PageOf } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { offsetOf, toJson } from './rows.ts';

/**
 * Email history. As everywhere in this module set, `agent_id = $agent` is the first
 * condition, so an agent only ever sees its own emails.
 */
function emailsOf(db: Db, agentId: string) {
  return db
    .selectFrom('email_logs as e')
    .leftJoin('clients as c', (j) => j.onRef('c.id', '=', 'e.client_id').onRef('c.agent_id', '=', 'e.agent_id'))
    .where('e.agent_id', '=', agentId);
}

const COLUMNS = [
  'e.id', 'e.agent_id', 'e.task_id', 'e.client_id', 'e.to_email', 'e.subject', 'e.body', 'e.status', 'e.sendgrid_message_id',
  'e.provider', 'e.model', 'e.created_at', 'e.sent_at', 'e.opened_at', 'e.clicked_at', 'e.error_message', 'e.retry_count',
  'e.webhook_events', 'c.name as client_name',
] as const;

export async function listEmails(db: Db, agentId: string, q: EmailListQuery): Promise<PageOf<EmailLog>> {
  let base = emailsOf(db, agentId);
  if (q.client_id) base = base.where('e.client_id', '=', q.client_id);
  if (q.status) base = base.where('e.status', '=', q.status);
  const [rows, count] = await Promise.all([
    base.select(COLUMNS).orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').limit(q.limit).offset(offsetOf(q)).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map((r) => toJson(r) as unknown as EmailLog), total: Number(count.n), page: q.page, limit: q.limit };
}

export async function getEmail(db: Db, agentId: string, id: string): Promise<EmailLog | undefined> {
  const row = await emailsOf(db, agentId).select(COLUMNS).where('e.id', '=', id).executeTakeFirst();
  return row ? (toJson(row) as unknown as EmailLog) : undefined;
}

/** The last emails actually sent to one client (newest first): context for the next one. */
export async function recentEmailsTo(db: Db, agentId: string, clientId: string, limit = 3): Promise<{ subject: string; body: string; sent_at: string }[]> {
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
