import type { Activity, ConversationItem, ReviewItem } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';

/**
 * Replies, the review queue and activities (issue 9). `agent_id = $agent` first, as
 * everywhere: an agent only ever sees its own.
 */

/** Drafts waiting for the agent, oldest first (the queue is worked through in order). */
export async function reviewQueue(db: Db, agentId: string, limit = 100): Promise<{ items: ReviewItem[]; total: number }> {
  const base = db
    .selectFrom('email_logs as e')
    .leftJoin('clients as c', (j) => j.onRef('c.id', '=', 'e.client_id').onRef('c.agent_id', '=', 'e.agent_id'))
    .leftJoin('tasks as t', (j) => j.onRef('t.id', '=', 'e.task_id').onRef('t.agent_id', '=', 'e.agent_id'))
    .where('e.agent_id', '=', agentId)
    .where('e.status', '=', 'awaiting_approval');
  const [rows, count] = await Promise.all([
    base
      .select([
        'e.id',
        'e.client_id',
        'c.name as client_name',
        'e.to_email',
        'e.task_id',
        't.step_label',
        'e.subject',
        'e.body',
        'e.review_reason',
        'e.fallback_reason',
        'e.review_revision',
        'e.facts',
        'e.created_at',
      ])
      .orderBy('e.created_at')
      .orderBy('e.id')
      .limit(limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      email_id: r.id,
      client_id: r.client_id,
      client_name: r.client_name,
      to_email: r.to_email,
      task_id: r.task_id,
      step_label: r.step_label,
      subject: r.subject ?? '',
      body: r.body ?? '',
      review_reason: r.review_reason ?? 'step',
      fallback_reason: r.fallback_reason,
      revision: r.review_revision ?? 1,
      facts: r.facts ?? [],
      created_at: r.created_at.toISOString(),
    })),
    total: Number(count.n),
  };
}

/** How many drafts wait (the navigation's badge). */
export async function reviewCount(db: Db, agentId: string): Promise<number> {
  const r = await db
    .selectFrom('email_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('agent_id', '=', agentId)
    .where('status', '=', 'awaiting_approval')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A client's emails (written and sent ones; not drafts or rejected ones) and replies as one thread, oldest first. */
export async function clientConversation(db: Db, agentId: string, clientId: string, limit = 500): Promise<ConversationItem[]> {
  const [sent, replies] = await Promise.all([
    db
      .selectFrom('email_logs')
      .select(['id', 'subject', 'body', 'status', 'to_email', 'sent_at', 'created_at'])
      .where('agent_id', '=', agentId)
      .where('client_id', '=', clientId)
      .where('status', 'not in', ['awaiting_approval', 'rejected', 'failed', 'suppressed'])
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('replies')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('client_id', '=', clientId)
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute(),
  ]);
  const items: ConversationItem[] = [
    ...sent.map((e) => ({
      kind: 'sent' as const,
      at: (e.sent_at ?? e.created_at).toISOString(),
      email_id: e.id,
      subject: e.subject,
      text: e.body,
      status: e.status,
      from_email: null,
      auto_reply: null,
      attachments: [],
    })),
    ...replies.map((r) => ({
      kind: 'reply' as const,
      at: r.received_at.toISOString(),
      email_id: r.email_id,
      subject: r.subject,
      text: r.text,
      status: null,
      from_email: r.from_email,
      auto_reply: r.auto_reply,
      attachments: r.attachments,
    })),
  ];
  return items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.kind === b.kind ? 0 : a.kind === 'sent' ? -1 : 1));
}

export async function clientActivities(db: Db, agentId: string, clientId: string, limit = 200): Promise<Activity[]> {
  const rows = await db
    .selectFrom('activities')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('client_id', '=', clientId)
    .orderBy('logged_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    client_id: r.client_id,
    kind: r.kind,
    body: r.body,
    stop_followups: r.stop_followups,
    logged_at: r.logged_at.toISOString(),
  }));
}
