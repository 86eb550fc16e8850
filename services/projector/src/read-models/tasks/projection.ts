import { type Envelope, EVENT_TYPES, EVENTS } from '@realtoros/contracts';
import { sql } from 'kysely';
import { insertRows, type RowUpdate, rounds, updateRows } from '../../many.ts';
import type { EventPosition, ProjectedEvent, Projection, ProjectionDb } from '../../projection.ts';

/** A task's held-back state ends whenever it fires, is rescheduled, or leaves the queue. */
const NOT_HELD = { held_reason: null, held_until: null } as const;

/**
 * `tasks`: each follow-up as the scheduler decided it. All of a task's events live on one
 * subject of one stream, so they arrive in order; each event sets what it knows (updates
 * keyed by id, the insert a no-op when replayed), and only over a row older than itself
 * (`aggregate_seq` < its sequence), so an event applied again changes nothing. Every event on
 * the task's subject sets `aggregate_seq` (the ETag / expected subject sequence), even one
 * not otherwise shown here.
 *
 * Planned tasks (issue 8) also carry where they come from — enrolment, plan, version, step
 * (TaskScheduled.plan; a plan edit's TaskRescheduled.plan moves them to the new version) —
 * the step's time before the sending window moved it (`planned_for`), whether the agent
 * pinned it by rescheduling it by hand, and whether a due step is held back (TaskHeld: the
 * daily cap or a paused enrolment) until it fires, is rescheduled or ends.
 */
export const tasksProjection: Projection = {
  name: 'tasks',
  tables: ['tasks'],
  handles: EVENT_TYPES.filter((t) => EVENTS[t].stream === 'SCHEDULER' && EVENTS[t].aggregate === 'task'),
  apply: applyOne,
  applyMany,
};

function scheduledRow(event: Envelope, pos: EventPosition) {
  if (event.type !== 'TaskScheduled') return null;
  const d = event.data;
  return {
    id: event.aggregate_id,
    agent_id: event.agent_id,
    client_id: d.client_id,
    followup_type: d.followup_type,
    scheduled_for: d.scheduled_for,
    status: 'pending',
    priority: d.priority,
    notes: d.notes,
    email_sent_id: null,
    created_at: event.occurred_at,
    updated_at: event.occurred_at,
    completed_at: null,
    failure_reason: null,
    version: d.version,
    aggregate_seq: pos.seq,
    enrollment_id: d.plan?.enrollment_id ?? null,
    plan_id: d.plan?.plan_id ?? null,
    plan_version: d.plan?.plan_version ?? null,
    step_id: d.plan?.step_id ?? null,
    step_label: d.plan?.step_label ?? null,
    action: d.plan?.action ?? null,
    planned_for: d.timing?.planned_for ?? null,
    held_reason: null,
    held_until: null,
    pinned: false,
  };
}

type ScheduledRow = NonNullable<ReturnType<typeof scheduledRow>>;

/** TaskScheduled opens its subject: inserted once (a replay's insert is a no-op). */
async function insertScheduled(db: ProjectionDb, rows: ScheduledRow[]): Promise<void> {
  // One statement must not insert an id twice (ON CONFLICT cannot touch a row twice): rounds never do.
  // As one JSON parameter, not 26 bound values a row (insertRows: the most inserted rows of a replay after client_events).
  await insertRows(db, 'tasks', rows, { conflict: ['id'] });
}

/**
 * What a task event (other than TaskScheduled) sets on its row: plain values, the same for
 * the single-row path and the multi-row one. Applied only over an older row (the guard).
 */
function changesOf(event: Envelope, pos: EventPosition): Record<string, unknown> {
  const seq = { aggregate_seq: pos.seq };
  const at = { updated_at: event.occurred_at, ...seq };
  switch (event.type) {
    case 'TaskRescheduled': {
      const d = event.data;
      return {
        ...at,
        ...NOT_HELD,
        status: 'pending',
        scheduled_for: d.scheduled_for,
        version: d.version,
        failure_reason: null,
        // Moved by hand (absent `by` = older events, all the agent's): plan edits and resumes leave it alone.
        ...(d.by === undefined || d.by === 'agent' ? { pinned: true } : {}),
        ...(d.timing ? { planned_for: d.timing.planned_for } : {}),
        ...(d.plan
          ? {
              enrollment_id: d.plan.enrollment_id,
              plan_id: d.plan.plan_id,
              plan_version: d.plan.plan_version,
              step_id: d.plan.step_id,
              step_label: d.plan.step_label,
              action: d.plan.action,
            }
          : {}),
      };
    }
    case 'TaskHeld': {
      const d = event.data;
      return {
        ...at,
        held_reason: d.reason,
        held_until: d.until,
        version: d.version,
        // A cap hold goes at `until`; a paused one keeps its time until the resume moves it.
        ...(d.until !== null ? { scheduled_for: d.until } : {}),
      };
    }
    case 'TaskDetailsChanged':
      return {
        ...at,
        ...(event.data.priority !== undefined ? { priority: event.data.priority } : {}),
        ...(event.data.notes !== undefined ? { notes: event.data.notes } : {}),
      };
    case 'TaskDue':
      return { ...at, ...NOT_HELD, status: 'due' };
    case 'TaskCompleted':
      return {
        ...at,
        ...NOT_HELD,
        status: 'completed',
        completed_at: event.data.completed_at,
        ...(event.data.email_id ? { email_sent_id: event.data.email_id } : {}),
      };
    case 'TaskSkipped':
      return { ...at, ...NOT_HELD, status: 'skipped' };
    case 'TaskFailed':
      return { ...at, ...NOT_HELD, status: 'failed', failure_reason: event.data.reason };
    case 'TaskCancelled':
      return { ...at, ...NOT_HELD, status: 'cancelled' };
    default:
      return seq;
  }
}

async function applyOne(db: ProjectionDb, event: Envelope, pos: EventPosition): Promise<void> {
  if (event.type === 'TaskScheduled') {
    const row = scheduledRow(event, pos);
    if (row) await insertScheduled(db, [row]);
    return;
  }
  // Only over an older row: re-applying an event the row already reflects (a lost checkpoint)
  // changes nothing, so neither the ETag nor a later time, hold or pin is ever undone.
  await db
    .updateTable('tasks')
    .where('id', '=', event.aggregate_id)
    .where('agent_id', '=', event.agent_id)
    .where(sql<boolean>`coalesce(aggregate_seq, 0) < ${pos.seq}::bigint`)
    .set(changesOf(event, pos))
    .execute();
}

/**
 * The batch's share in a few statements, exactly as one by one in order: in rounds (the r-th
 * event of every task; `many.ts`), each round's TaskScheduled in multi-row inserts and its
 * other events in multi-row updates (one per set of columns), each only over an older row.
 */
async function applyMany(db: ProjectionDb, items: readonly ProjectedEvent[]): Promise<void> {
  for (const round of rounds(items, (i) => i.event.aggregate_id)) {
    const inserts: ScheduledRow[] = [];
    const updates: RowUpdate[] = [];
    for (const { event, pos } of round) {
      const row = scheduledRow(event, pos);
      if (row) inserts.push(row);
      else updates.push({ key: { id: event.aggregate_id, agent_id: event.agent_id, seq: pos.seq }, set: changesOf(event, pos) });
    }
    await insertScheduled(db, inserts);
    await updateRows(db, 'tasks', updates, {
      keys: { id: 'uuid', agent_id: 'uuid', seq: 'bigint' },
      extra: ['seq'],
      guard: (k) => sql<boolean>`coalesce(tasks.aggregate_seq, 0) < ${k('seq')}`,
    });
  }
}
