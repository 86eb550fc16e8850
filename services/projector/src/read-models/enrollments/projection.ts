import { EVENT_TYPES, EVENTS } from '@realtoros/contracts';
import { sql } from 'kysely';
import { byType, type RowUpdate, rounds, updateRows } from '../../many.ts';
import type { ProjectedEvent, Projection, ProjectionDb } from '../../projection.ts';

/** Every event on a client's enrolment subject (`sched.<agent>.enrollment.<client_id>`). */
const ENROLLMENT_EVENTS = EVENT_TYPES.filter((t) => EVENTS[t].stream === 'SCHEDULER' && EVENTS[t].aggregate === 'enrollment');

/**
 * `enrollments`: one row per client — its current or last enrolment (the client page's
 * `enrollment`, a plan's enrolled count, a plan edit's preview). A client's enrolments live on
 * one subject, in order: ClientEnrolled replaces the row (the newest enrolment is the one that
 * counts; the previous one ended just before it, `replaced`), and Paused / Resumed / Ended /
 * Migrated update it when they are about the enrolment it holds. Every write applies only to
 * an older row (`aggregate_seq` < the event's), so re-applying an event changes nothing.
 */
export const enrollmentsProjection: Projection = {
  name: 'enrollments',
  tables: ['enrollments'],
  handles: ENROLLMENT_EVENTS,
  apply: applyOne,
  applyMany,
};

type Row = {
  client_id: string;
  agent_id: string;
  enrollment_id: string;
  plan_id: string;
  plan_name: string;
  plan_version: number;
  status: string;
  ended_reason: null;
  enrolled_at: string;
  paused_at: null;
  paused_until: null;
  paused_ms: number;
  updated_at: string;
  aggregate_seq: number;
};

function enrolledRow({ event, pos }: ProjectedEvent): Row | null {
  if (event.type !== 'ClientEnrolled') return null;
  const d = event.data;
  return {
    client_id: d.client_id,
    agent_id: event.agent_id,
    enrollment_id: d.enrollment_id,
    plan_id: d.plan_id,
    plan_name: d.plan_name,
    plan_version: d.plan_version,
    status: 'active',
    ended_reason: null,
    enrolled_at: d.enrolled_at,
    paused_at: null,
    paused_until: null,
    paused_ms: 0,
    updated_at: event.occurred_at,
    aggregate_seq: pos.seq,
  };
}

/** ClientEnrolled rows, each replacing an older row of its client (a multi-row statement must not name a client twice: rounds never do). */
async function upsertEnrolled(db: ProjectionDb, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('enrollments')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) =>
        oc
          .column('client_id')
          .doUpdateSet((eb) => ({
            agent_id: eb.ref('excluded.agent_id'),
            enrollment_id: eb.ref('excluded.enrollment_id'),
            plan_id: eb.ref('excluded.plan_id'),
            plan_name: eb.ref('excluded.plan_name'),
            plan_version: eb.ref('excluded.plan_version'),
            status: eb.ref('excluded.status'),
            ended_reason: eb.ref('excluded.ended_reason'),
            enrolled_at: eb.ref('excluded.enrolled_at'),
            paused_at: eb.ref('excluded.paused_at'),
            paused_until: eb.ref('excluded.paused_until'),
            paused_ms: eb.ref('excluded.paused_ms'),
            updated_at: eb.ref('excluded.updated_at'),
            aggregate_seq: eb.ref('excluded.aggregate_seq'),
          }))
          .where(sql<boolean>`coalesce(enrollments.aggregate_seq, 0) < excluded.aggregate_seq`),
      )
      .execute();
}

async function applyOne(db: ProjectionDb, event: ProjectedEvent['event'], pos: ProjectedEvent['pos']): Promise<void> {
  const row = enrolledRow({ event, pos });
  if (row) return upsertEnrolled(db, [row]);
  const data = event.data as { client_id?: string; enrollment_id?: string };
  if (!data.client_id) return;
  // The enrolment the row holds, and only an older state of it.
  const update = () =>
    db
      .updateTable('enrollments')
      .where('client_id', '=', data.client_id as string)
      .where('agent_id', '=', event.agent_id)
      .where(sql<boolean>`coalesce(aggregate_seq, 0) < ${pos.seq}::bigint`);
  const mine = () => update().where('enrollment_id', '=', data.enrollment_id as string);
  const at = { updated_at: event.occurred_at, aggregate_seq: pos.seq };
  switch (event.type) {
    case 'EnrollmentPaused':
      await mine()
        .set({ ...at, status: 'paused', paused_at: event.occurred_at, paused_until: event.data.until })
        .execute();
      return;
    case 'EnrollmentResumed':
      await mine()
        .set({
          ...at,
          status: 'active',
          paused_at: null,
          paused_until: null,
          paused_ms: sql<number>`paused_ms + ${event.data.paused_ms}::bigint`,
        })
        .execute();
      return;
    case 'EnrollmentEnded':
      await mine()
        .set({ ...at, status: 'ended', ended_reason: event.data.reason, paused_at: null, paused_until: null })
        .execute();
      return;
    case 'EnrollmentMigrated':
      await mine()
        .set({ ...at, plan_version: event.data.to_version })
        .execute();
      return;
    default:
      // A future event on the subject: only the sequence moves.
      await update().set({ aggregate_seq: pos.seq }).execute();
      return;
  }
}

/**
 * The batch's share in a few statements, exactly as one by one in order: in rounds (the r-th
 * event of every client's enrolment subject, `many.ts`), a round's ClientEnrolled in one
 * multi-row upsert, its Paused / Resumed / Ended / Migrated in one update per type, each only
 * over an older row holding the same enrolment; anything else one by one.
 */
async function applyMany(db: ProjectionDb, items: readonly ProjectedEvent[]): Promise<void> {
  const clientOf = (item: ProjectedEvent) => (item.event.data as { client_id?: string }).client_id ?? item.event.aggregate_id;
  for (const round of rounds(items, clientOf)) {
    for (const [type, list] of byType(round)) {
      if (type === 'ClientEnrolled') {
        await upsertEnrolled(
          db,
          list.flatMap((item) => enrolledRow(item) ?? []),
        );
        continue;
      }
      const rows: RowUpdate[] = [];
      for (const { event, pos } of list) {
        const d = event.data as { client_id?: string; enrollment_id?: string };
        if (!d.client_id) continue;
        const at = { updated_at: event.occurred_at, aggregate_seq: pos.seq };
        const key = { client_id: d.client_id, agent_id: event.agent_id, enrollment_id: d.enrollment_id ?? '', seq: pos.seq };
        if (event.type === 'EnrollmentPaused')
          rows.push({ key, set: { ...at, status: 'paused', paused_at: event.occurred_at, paused_until: event.data.until } });
        else if (event.type === 'EnrollmentResumed')
          rows.push({ key, set: { ...at, status: 'active', paused_at: null, paused_until: null, paused_ms: event.data.paused_ms } });
        else if (event.type === 'EnrollmentEnded')
          rows.push({ key, set: { ...at, status: 'ended', ended_reason: event.data.reason, paused_at: null, paused_until: null } });
        else if (event.type === 'EnrollmentMigrated') rows.push({ key, set: { ...at, plan_version: event.data.to_version } });
        else await applyOne(db, event, pos);
      }
      await updateRows(db, 'enrollments', rows, {
        keys: { client_id: 'uuid', agent_id: 'uuid', enrollment_id: 'uuid', seq: 'bigint' },
        extra: ['seq'],
        exprs: { paused_ms: (v) => sql`paused_ms + ${v}::bigint` },
        guard: (k) => sql<boolean>`coalesce(enrollments.aggregate_seq, 0) < ${k('seq')}`,
      });
    }
  }
}
