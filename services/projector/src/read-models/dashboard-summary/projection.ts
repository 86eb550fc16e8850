import type { Database } from '@realtoros/db';
import { type QueryCreator, type RawBuilder, sql } from 'kysely';
import type { ProjectedEvent, Projection } from '../../projection.ts';
import { clientsProjection } from '../clients/projection.ts';
import { emailLogsProjection } from '../email-logs/projection.ts';
import { tasksProjection } from '../tasks/projection.ts';

type Db = QueryCreator<Database>;
/** Which rows to count again: these ids, one agent's every row, or every row. */
export type SummaryScope = { ids: readonly string[] } | { agentId: string } | 'all';
export type SummaryKind = 'clients' | 'tasks' | 'emails';

const TASK_EVENTS = new Set<string>(tasksProjection.handles);
const EMAIL_EVENTS = new Set<string>(emailLogsProjection.handles);

/**
 * The dashboard summary (migration 009; DESIGN.md "Dashboard summary"): per agent, clients
 * per stage, tasks per status × UTC day of `scheduled_for` × held reason, emails per status
 * (sent, reported, opened, clicked) and per UTC day (sent, opened, clicked).
 *
 * It is derived from the rows the clients, tasks and email_logs projections have just written
 * in the same transaction, so it is listed after them (PROJECTIONS order: the fast path runs
 * the projections one after another, the slow path each event through them in that order):
 * for every row an event touched, the summary compares the keys it counted last time
 * (`dashboard_*_rows`) with the row as it is now and moves the counts by the difference.
 * Whatever those projections decide — a status that only moves up, a hold that moves a
 * task's time, an email's earliest open — the counts follow without repeating their rules,
 * and a parked event (its row untouched) changes nothing. A replay builds the same rows:
 * the counts are a function of the rows, and an empty bucket is deleted.
 */
export const dashboardSummaryProjection: Projection = {
  name: 'dashboard_summary',
  tables: [
    'dashboard_client_rows',
    'dashboard_client_counts',
    'dashboard_task_rows',
    'dashboard_task_counts',
    'dashboard_email_rows',
    'dashboard_email_counts',
    'dashboard_email_days',
  ],
  handles: [...new Set([...clientsProjection.handles, ...tasksProjection.handles, ...emailLogsProjection.handles])],
  apply: (db, event, pos) => applyMany(db, [{ event, pos }]),
  applyMany,
  // Replay counts every row once after loading the other read models (one grouped pass)
  // instead of recounting the rows each of its batches touched: the same counts and keys.
  rebuild: (db) => countDashboardSummary(db, 'all'),
};

async function applyMany(db: Db, items: readonly ProjectedEvent[]): Promise<void> {
  const ids: Record<SummaryKind, Set<string>> = { clients: new Set(), tasks: new Set(), emails: new Set() };
  for (const { event, pos } of items) {
    // A client's stage and deletion change only by the CRM's own client events.
    if (pos.stream === 'CRM' && event.aggregate === 'client') ids.clients.add(event.aggregate_id);
    if (TASK_EVENTS.has(event.type)) ids.tasks.add(event.aggregate_id);
    if (EMAIL_EVENTS.has(event.type)) ids.emails.add(event.aggregate_id);
  }
  for (const kind of ['clients', 'tasks', 'emails'] as const) {
    if (ids[kind].size > 0) await countAgain(db, kind, { ids: [...ids[kind]].sort() });
  }
}

/** Every kind, for a scope (`'all'` after rows were written without the projector: a seed, a test). */
export async function countDashboardSummary(db: Db, scope: SummaryScope): Promise<void> {
  for (const kind of ['clients', 'tasks', 'emails'] as const) await countAgain(db, kind, scope);
}

const ROWS = { clients: 'dashboard_client_rows', tasks: 'dashboard_task_rows', emails: 'dashboard_email_rows' } as const;
const KEY = { clients: 'client_id', tasks: 'task_id', emails: 'email_id' } as const;

function where(scope: SummaryScope, idColumn: string): RawBuilder<boolean> {
  if (scope === 'all') return sql<boolean>`true`;
  if ('agentId' in scope) return sql<boolean>`agent_id = ${scope.agentId}::uuid`;
  return sql<boolean>`${sql.ref(idColumn)} = ANY(${scope.ids}::uuid[])`;
}

const utcDay = (column: string) => sql<string>`(${sql.ref(column)} AT TIME ZONE 'UTC')::date`;

/**
 * The rows' counted keys as they are now (the kind's `dashboard_*_rows` columns, in order).
 * Query builders, not raw table names: the projection's query creator puts them in its
 * schema (a replay's scratch schema).
 */
function current(db: Db, kind: SummaryKind, scope: SummaryScope) {
  const w = where(scope, 'id');
  switch (kind) {
    case 'clients':
      return db.selectFrom('clients').select(['id', 'agent_id', 'stage']).where(w).where('is_deleted', '=', false);
    case 'tasks':
      return db
        .selectFrom('tasks')
        .select(['id', 'agent_id', 'status', utcDay('scheduled_for').as('day'), sql<string>`coalesce(held_reason, '')`.as('held')])
        .where(w);
    case 'emails':
      return db
        .selectFrom('email_logs')
        .select([
          'id',
          'agent_id',
          'status',
          utcDay('sent_at').as('sent_day'),
          utcDay('opened_at').as('opened_day'),
          utcDay('clicked_at').as('clicked_day'),
          sql<boolean>`(opened_at IS NOT NULL OR delivered_at IS NOT NULL)`.as('reported'),
        ])
        .where(w);
  }
}

async function countAgain(db: Db, kind: SummaryKind, scope: SummaryScope): Promise<void> {
  const rows = ROWS[kind];
  const cur = current(db, kind, scope);
  const old = db.selectFrom(rows).selectAll().where(where(scope, KEY[kind]));
  if (scope !== 'all' && 'ids' in scope) {
    // Wait for (and then see) any other stream's transaction on these rows: the AI and
    // MAILER streams both write email_logs, and each must count from the other's result.
    const base = { clients: 'clients', tasks: 'tasks', emails: 'email_logs' } as const;
    await db.selectFrom(base[kind]).select('id').where(where(scope, 'id')).orderBy('id').forUpdate().execute();
  }
  const both = (cols: string) =>
    sql`SELECT ${sql.raw(cols)}, 1 AS sign FROM (${cur}) AS c UNION ALL SELECT ${sql.raw(cols)}, -1 FROM (${old}) AS o`;
  const emptied = new Set<string>();
  const note = (r: { agent_id: string; empty: boolean }[]) => {
    for (const row of r) if (row.empty) emptied.add(row.agent_id);
  };
  const empty = (cond: string) => sql<boolean>`${sql.raw(cond)}`.as('empty');
  // Buckets in key order: two streams' transactions lock the buckets they share in the same order.
  switch (kind) {
    case 'clients':
      note(
        await db
          .insertInto('dashboard_client_counts')
          .columns(['agent_id', 'stage', 'n'])
          .expression(
            sql`SELECT agent_id, stage, sum(sign)::int FROM (${both('agent_id, stage')}) AS d
              GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2`,
          )
          .onConflict((oc) => oc.columns(['agent_id', 'stage']).doUpdateSet({ n: sql`dashboard_client_counts.n + excluded.n` }))
          .returning(['agent_id', empty('n = 0')])
          .execute(),
      );
      if (emptied.size > 0)
        await db
          .deleteFrom('dashboard_client_counts')
          .where('n', '=', 0)
          .where('agent_id', 'in', [...emptied])
          .execute();
      break;
    case 'tasks':
      note(
        await db
          .insertInto('dashboard_task_counts')
          .columns(['agent_id', 'status', 'day', 'held', 'n'])
          .expression(
            sql`SELECT agent_id, status, day, held, sum(sign)::int FROM (${both('agent_id, status, day, held')}) AS d
              GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4`,
          )
          .onConflict((oc) =>
            oc.columns(['agent_id', 'status', 'day', 'held']).doUpdateSet({ n: sql`dashboard_task_counts.n + excluded.n` }),
          )
          .returning(['agent_id', empty('n = 0')])
          .execute(),
      );
      if (emptied.size > 0)
        await db
          .deleteFrom('dashboard_task_counts')
          .where('n', '=', 0)
          .where('agent_id', 'in', [...emptied])
          .execute();
      break;
    case 'emails': {
      const d = both('agent_id, status, sent_day, opened_day, clicked_day, reported');
      const when = (cond: string) => sql.raw(`coalesce(sum(sign) FILTER (WHERE ${cond}), 0)::int`);
      note(
        await db
          .insertInto('dashboard_email_counts')
          .columns(['agent_id', 'status', 'n', 'sent', 'reported', 'opened', 'clicked'])
          .expression(
            sql`SELECT agent_id, status, sum(sign)::int AS n, ${when('sent_day IS NOT NULL')} AS sent, ${when('reported')} AS reported,
                ${when('opened_day IS NOT NULL')} AS opened, ${when('clicked_day IS NOT NULL')} AS clicked
              FROM (${d}) AS d GROUP BY 1, 2
              HAVING sum(sign) <> 0 OR ${when('sent_day IS NOT NULL')} <> 0 OR ${when('reported')} <> 0
                OR ${when('opened_day IS NOT NULL')} <> 0 OR ${when('clicked_day IS NOT NULL')} <> 0
              ORDER BY 1, 2`,
          )
          .onConflict((oc) =>
            oc.columns(['agent_id', 'status']).doUpdateSet({
              n: sql`dashboard_email_counts.n + excluded.n`,
              sent: sql`dashboard_email_counts.sent + excluded.sent`,
              reported: sql`dashboard_email_counts.reported + excluded.reported`,
              opened: sql`dashboard_email_counts.opened + excluded.opened`,
              clicked: sql`dashboard_email_counts.clicked + excluded.clicked`,
            }),
          )
          .returning(['agent_id', empty('n = 0')])
          .execute(),
      );
      if (emptied.size > 0)
        await db
          .deleteFrom('dashboard_email_counts')
          .where('n', '=', 0)
          .where('agent_id', 'in', [...emptied])
          .execute();
      emptied.clear();
      note(
        await db
          .insertInto('dashboard_email_days')
          .columns(['agent_id', 'day', 'sent', 'opened', 'clicked'])
          .expression(
            sql`SELECT agent_id, v.day, sum(sign * v.s)::int, sum(sign * v.o)::int, sum(sign * v.c)::int
              FROM (${d}) AS d
              CROSS JOIN LATERAL (VALUES (d.sent_day, 1, 0, 0), (d.opened_day, 0, 1, 0), (d.clicked_day, 0, 0, 1)) AS v(day, s, o, c)
              WHERE v.day IS NOT NULL
              GROUP BY 1, 2 HAVING sum(sign * v.s) <> 0 OR sum(sign * v.o) <> 0 OR sum(sign * v.c) <> 0 ORDER BY 1, 2`,
          )
          .onConflict((oc) =>
            oc.columns(['agent_id', 'day']).doUpdateSet({
              sent: sql`dashboard_email_days.sent + excluded.sent`,
              opened: sql`dashboard_email_days.opened + excluded.opened`,
              clicked: sql`dashboard_email_days.clicked + excluded.clicked`,
            }),
          )
          .returning(['agent_id', empty('sent = 0 AND opened = 0 AND clicked = 0')])
          .execute(),
      );
      if (emptied.size > 0)
        await db
          .deleteFrom('dashboard_email_days')
          .where('sent', '=', 0)
          .where('opened', '=', 0)
          .where('clicked', '=', 0)
          .where('agent_id', 'in', [...emptied])
          .execute();
      break;
    }
  }
  await db.deleteFrom(rows).where(where(scope, KEY[kind])).execute();
  await db
    .insertInto(rows)
    .expression(cur as never)
    .execute();
}
