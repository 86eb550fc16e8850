import { EVENT_TYPES, EVENTS } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection } from '../../projection.ts';

/**
 * `plans`: each plan's current version, whole — every PlanCreated / PlanChanged carries its
 * version entire, so the row is that event's data (steps and stop stages as jsonb); a
 * PlanDeleted keeps the row (`is_deleted`: enrolments and tasks still name it).
 * `plan_versions`: every version as written, immutable (a plan edit's preview compares each
 * enrolment's own version with the new one).
 *
 * A plan's events live on one subject (`sched.<agent>.plan.<id>`) and arrive in order; each
 * applies to `plans` only when it is newer than what the row holds (`aggregate_seq`), so
 * re-applying an older event (a lost checkpoint) changes nothing. Every event on the subject
 * moves `aggregate_seq` (the plan's ETag).
 */
export const plansProjection: Projection = {
  name: 'plans',
  tables: ['plans', 'plan_versions'],
  handles: EVENT_TYPES.filter((t) => EVENTS[t].stream === 'SCHEDULER' && EVENTS[t].aggregate === 'plan'),
  async apply(db, event, pos) {
    const newer = () =>
      db
        .updateTable('plans')
        .where('id', '=', event.aggregate_id)
        .where('agent_id', '=', event.agent_id)
        .where(sql<boolean>`coalesce(aggregate_seq, 0) < ${pos.seq}::bigint`);
    const at = { updated_at: event.occurred_at, aggregate_seq: pos.seq };
    switch (event.type) {
      case 'PlanCreated':
      case 'PlanChanged': {
        const d = event.data;
        const version = {
          name: d.name,
          version: d.version,
          steps: JSON.stringify(d.steps),
          stop_stages: JSON.stringify(d.stop_stages),
          stage_trigger: d.stage_trigger,
          on_reply: d.on_reply ?? 'end',
          is_default: d.is_default,
        };
        // Version N, as written: immutable, so once is enough.
        await db
          .insertInto('plan_versions')
          .values({ plan_id: event.aggregate_id, agent_id: event.agent_id, ...version, created_at: event.occurred_at })
          .onConflict((oc) => oc.columns(['plan_id', 'version']).doNothing())
          .execute();
        if (event.type === 'PlanCreated') {
          await db
            .insertInto('plans')
            .values({ id: event.aggregate_id, agent_id: event.agent_id, ...version, created_at: event.occurred_at, ...at })
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
          return;
        }
        await newer()
          .set({ ...version, ...at })
          .execute();
        return;
      }
      case 'PlanDeleted':
        await newer()
          .set({ is_deleted: true, ...at })
          .execute();
        return;
      default:
        // A future event on the plan's subject still moves its ETag.
        await newer().set({ aggregate_seq: pos.seq }).execute();
        return;
    }
  },
};
