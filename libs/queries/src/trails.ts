import { deterministicId, type Envelope, EVENTS, type EventType, isEventType } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';

/**
 * The events of one task or one email, for the decision trails (libs/planning taskTrail /
 * emailTrail), read from `client_events` — every event about a client, with its data — so
 * no service is asked. Tenancy: `agent_id = $agent` first; another agent's task or email
 * has no events here.
 *
 * The read model keeps no event ids or correlation ids: an event read back carries an id
 * derived from its stream position and its stream position as its correlation id. The
 * trails read type, time and data only.
 */

type Row = {
  stream: string;
  seq: number;
  type: string;
  aggregate: string;
  aggregate_id: string;
  agent_id: string;
  occurred_at: Date;
  data: object;
};

const toEnvelope = (r: Row): Envelope =>
  ({
    id: deterministicId('client-event', r.stream, String(r.seq)),
    type: r.type,
    schema: isEventType(r.type) ? EVENTS[r.type as EventType].version : 1,
    agent_id: r.agent_id,
    aggregate: r.aggregate,
    aggregate_id: r.aggregate_id,
    occurred_at: r.occurred_at.toISOString(),
    correlation_id: `${r.stream}:${r.seq}`,
    causation_id: null,
    data: r.data,
  }) as Envelope;

async function aggregateEvents(db: Db, agentId: string, aggregate: 'task' | 'email', id: string): Promise<Envelope[]> {
  const rows = await db
    .selectFrom('client_events')
    .select(['stream', 'seq', 'type', 'aggregate', 'aggregate_id', 'agent_id', 'occurred_at', 'data'])
    .where('agent_id', '=', agentId)
    .where('aggregate_id', '=', id)
    .where('aggregate', '=', aggregate)
    // A task's events share one subject: stream order is their order. An email's span two
    // streams (AI, MAILER): time order, each stream's own order within a tie.
    .$if(aggregate === 'email', (q) => q.orderBy('occurred_at').orderBy('stream'))
    .orderBy('seq')
    .execute();
  return rows.filter((r) => isEventType(r.type)).map((r) => toEnvelope(r as Row));
}

/** A task's events, oldest first (one subject: stream order). */
export function taskEvents(db: Db, agentId: string, taskId: string): Promise<Envelope[]> {
  return aggregateEvents(db, agentId, 'task', taskId);
}

/**
 * An email's events (what the AI wrote, what the mailer did, in time order) and those of the
 * task it was written for, when it has one (the email's `task_id`, else the one its events
 * name): `emailTrail(task, email)`.
 */
export async function emailTrailEvents(db: Db, agentId: string, emailId: string): Promise<{ task: Envelope[]; email: Envelope[] }> {
  const [email, row] = await Promise.all([
    aggregateEvents(db, agentId, 'email', emailId),
    db.selectFrom('email_logs').select('task_id').where('agent_id', '=', agentId).where('id', '=', emailId).executeTakeFirst(),
  ]);
  const named = email.map((e) => (e.data as { task_id?: unknown }).task_id).find((t): t is string => typeof t === 'string');
  const taskId = row?.task_id ?? named ?? null;
  return { task: taskId ? await taskEvents(db, agentId, taskId) : [], email };
}
