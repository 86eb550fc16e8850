import { EVENT_TYPES, EVENTS } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection } from '../../projection.ts';

/**
 * `tasks`: each follow-up as the scheduler decided it. All of a task's events live on one
 * subject of one stream, so they arrive in order; each event sets what it knows (updates
 * keyed by id, the insert a no-op when replayed). Every event on the task's subject sets
 * `aggregate_seq` (the ETag / expected subject sequence), even one not otherwise shown here.
 */
export const tasksProjection: Projection = {
  name: 'tasks',
  tables: ['tasks'],
  handles: EVENT_TYPES.filter((t) => EVENTS[t].stream === 'SCHEDULER' && EVENTS[t].aggregate === 'task'),
  async apply(db, event, pos) {
    const task = () => db.updateTable('tasks').where('id', '=', event.aggregate_id).where('agent_id', '=', event.agent_id);
    // Monotonic, so re-applying an older event (a lost checkpoint) never moves the ETag back.
    const seq = { aggregate_seq: sql<number>`greatest(coalesce(aggregate_seq, 0), ${pos.seq}::bigint)` };
    const at = { updated_at: event.occurred_at, ...seq };
    switch (event.type) {
      case 'TaskScheduled': {
        const d = event.data;
        await db
          .insertInto('tasks')
          .values({
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
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      }
      case 'TaskRescheduled':
        await task()
          .set({ ...at, status: 'pending', scheduled_for: event.data.scheduled_for, version: event.data.version, failure_reason: null })
          .execute();
        return;
      case 'TaskDetailsChanged':
        await task()
          .set({
            ...at,
            ...(event.data.priority !== undefined ? { priority: event.data.priority } : {}),
            ...(event.data.notes !== undefined ? { notes: event.data.notes } : {}),
          })
          .execute();
        return;
      case 'TaskDue':
        await task()
          .set({ ...at, status: 'due' })
          .execute();
        return;
      case 'TaskCompleted':
        await task()
          .set({
            ...at,
            status: 'completed',
            completed_at: event.data.completed_at,
            ...(event.data.email_id ? { email_sent_id: event.data.email_id } : {}),
          })
          .execute();
        return;
      case 'TaskSkipped':
        await task()
          .set({ ...at, status: 'skipped' })
          .execute();
        return;
      case 'TaskFailed':
        await task()
          .set({ ...at, status: 'failed', failure_reason: event.data.reason })
          .execute();
        return;
      case 'TaskCancelled':
        await task()
          .set({ ...at, status: 'cancelled' })
          .execute();
        return;
      default:
        await task().set(seq).execute();
        return;
    }
  },
};
