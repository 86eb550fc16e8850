import type { PageOf, Task, TaskListQuery } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { offsetOf, pageTotal, toJson, totalOf } from './rows.ts';

/**
 * Follow-up tasks. As everywhere in this module set, `agent_id = $agent` is the first
 * condition, so an agent only ever sees its own tasks (another agent's id is "not found").
 * The client's name comes along for lists.
 */
function tasksOf(db: Db, agentId: string) {
  return db
    .selectFrom('tasks as t')
    .leftJoin('clients as c', (j) => j.onRef('c.id', '=', 't.client_id').onRef('c.agent_id', '=', 't.agent_id'))
    .where('t.agent_id', '=', agentId);
}

const COLUMNS = [
  't.id',
  't.agent_id',
  't.client_id',
  't.followup_type',
  't.scheduled_for',
  't.status',
  't.priority',
  't.notes',
  't.email_sent_id',
  't.created_at',
  't.updated_at',
  't.completed_at',
  't.failure_reason',
  't.version',
  // Planned tasks: where they come from; due steps held back: why (null on manual and older tasks).
  't.enrollment_id',
  't.plan_id',
  't.plan_version',
  't.step_label',
  't.action',
  't.held_reason',
  'c.name as client_name',
] as const;

/** `GET /api/tasks`: filtered by status, client and due window (`due_after` ≤ scheduled_for < `due_before`), soonest first. */
export async function listTasks(db: Db, agentId: string, q: TaskListQuery): Promise<PageOf<Task>> {
  let base = tasksOf(db, agentId);
  if (q.status) base = base.where('t.status', '=', q.status);
  if (q.client_id) base = base.where('t.client_id', '=', q.client_id);
  if (q.due_after) base = base.where('t.scheduled_for', '>=', new Date(q.due_after));
  if (q.due_before) base = base.where('t.scheduled_for', '<', new Date(q.due_before));
  const { rows, total } = await pageTotal(
    await base
      .select([...COLUMNS, totalOf(base)])
      .orderBy('t.scheduled_for')
      .orderBy('t.id')
      .limit(q.limit)
      .offset(offsetOf(q))
      .execute(),
    base,
    offsetOf(q),
  );
  return { items: rows.map((r) => toJson(r) as unknown as Task), total, page: q.page, limit: q.limit };
}

/**
 * One task, with `aggregate_seq`: the stream sequence of the last event on its subject
 * (null only for rows projected before it existed and not yet replayed), the ETag source.
 */
export async function getTask(db: Db, agentId: string, id: string): Promise<(Task & { aggregate_seq: number | null }) | undefined> {
  const row = await tasksOf(db, agentId)
    .select([...COLUMNS, 't.aggregate_seq'])
    .where('t.id', '=', id)
    .executeTakeFirst();
  return row ? (toJson(row) as unknown as Task & { aggregate_seq: number | null }) : undefined;
}

/** Pending follow-ups due within `days` of `now` (overdue ones first), for the dashboard. */
export async function upcomingTasks(db: Db, agentId: string, now: Date, days: number, limit = 20): Promise<Task[]> {
  const rows = await tasksOf(db, agentId)
    .select(COLUMNS)
    .where('t.status', '=', 'pending')
    .where('t.scheduled_for', '<', new Date(now.getTime() + days * 86_400_000))
    .orderBy('t.scheduled_for')
    .orderBy('t.id')
    .limit(limit)
    .execute();
  return rows.map((r) => toJson(r) as unknown as Task);
}
