import { type Client, type ClientListQuery, type Enrollment, type PageOf, type TimelineEntry, tagKey } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { sql } from 'kysely';
import { toEnrollment } from './plans.ts';
import { likePattern, offsetOf, pageTotal, summedTotal, toJson, totalOf } from './rows.ts';

/**
 * Every read starts from the tenant: `agent_id = $agent` is the first condition of every
 * query in this module, so an agent can never read another agent's rows. Deleted clients
 * are invisible.
 */
function clientsOf(db: Db, agentId: string) {
  return db.selectFrom('clients').where('agent_id', '=', agentId).where('is_deleted', '=', false);
}

const SORTS = {
  name: ['name', 'asc'],
  '-name': ['name', 'desc'],
  created_at: ['created_at', 'asc'],
  '-created_at': ['created_at', 'desc'],
  updated_at: ['updated_at', 'asc'],
  '-updated_at': ['updated_at', 'desc'],
  last_contacted: ['last_contacted', 'asc'],
  '-last_contacted': ['last_contacted', 'desc'],
} as const;

/** The list's filters (stage, property type, free text, tag), shared by the list, the CSV export and bulk actions. */
export type ClientFilter = Pick<ClientListQuery, 'stage' | 'property_type' | 'q' | 'tag'>;
function filteredClients(db: Db, agentId: string, q: ClientFilter) {
  let base = clientsOf(db, agentId);
  if (q.stage) base = base.where('stage', '=', q.stage);
  if (q.property_type) base = base.where('property_type', '=', q.property_type);
  // A whole tag, case-insensitively: the lower-cased tags contain the lower-cased filter (GIN index).
  if (q.tag?.trim()) base = base.where(sql<boolean>`tag_keys @> ARRAY[${tagKey(q.tag)}]::text[]`);
  if (q.q?.trim()) {
    const p = likePattern(q.q.trim());
    base = base.where((eb) =>
      eb.or([eb('name', 'ilike', p), eb('email', 'ilike', p), eb('phone', 'ilike', p), eb('property_address', 'ilike', p)]),
    );
  }
  return base;
}

/**
 * The list's total. Unfiltered or by stage alone: the sum of the agent's buckets in the
 * dashboard summary, which counts live clients per stage exactly (`summedTotal`) — a few
 * primary-key rows instead of an index scan of the agent's every client per request. Any
 * other filter (property type, text, tag) is counted from the rows (`totalOf`).
 */
function clientTotal(db: Db, agentId: string, q: ClientFilter, base: ReturnType<typeof clientsOf>) {
  if (q.property_type || q.q?.trim() || q.tag?.trim()) return totalOf(base);
  let counts = db.selectFrom('dashboard_client_counts').where('agent_id', '=', agentId);
  if (q.stage) counts = counts.where('stage', '=', q.stage);
  return summedTotal(counts);
}

/**
 * The client's current or last enrolment — what `enrollmentsOf` reads — as columns of the
 * client's own statement: a LATERAL lookup of the enrollments primary key per client row, so
 * one client, or a page of them, is one statement (it was the rows, then their enrolments:
 * two round trips and two queries to build per request). Its columns are prefixed `enr_`,
 * so the filters' and sorts' unqualified column names stay unambiguous.
 */
function withEnrollment(qb: ReturnType<typeof clientsOf>, agentId: string) {
  return qb
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('enrollments as e')
          .leftJoin('plans as p', (j) => j.onRef('p.id', '=', 'e.plan_id').onRef('p.agent_id', '=', 'e.agent_id'))
          .select([
            'e.enrollment_id as enr_id',
            'e.plan_id as enr_plan_id',
            sql<string>`coalesce(p.name, e.plan_name)`.as('enr_plan_name'),
            'e.plan_version as enr_plan_version',
            'e.status as enr_status',
            'e.ended_reason as enr_ended_reason',
            'e.enrolled_at as enr_enrolled_at',
            'e.paused_until as enr_paused_until',
          ])
          .where('e.agent_id', '=', agentId)
          .whereRef('e.client_id', '=', 'clients.id')
          .as('enr'),
      (j) => j.onTrue(),
    )
    .selectAll('clients')
    .select([
      'enr.enr_id',
      'enr.enr_plan_id',
      'enr.enr_plan_name',
      'enr.enr_plan_version',
      'enr.enr_status',
      'enr.enr_ended_reason',
      'enr.enr_enrolled_at',
      'enr.enr_paused_until',
    ]);
}

type EnrollmentColumns = {
  enr_id: string | null;
  enr_plan_id: string | null;
  enr_plan_name: string | null;
  enr_plan_version: number | null;
  enr_status: string | null;
  enr_ended_reason: string | null;
  enr_enrolled_at: Date | null;
  enr_paused_until: Date | null;
};

/** A client row with its `withEnrollment` columns → the row alone and its enrolment (null: never enrolled). */
function splitEnrollment<R extends EnrollmentColumns & { id: string }>(r: R) {
  const { enr_id, enr_plan_id, enr_plan_name, enr_plan_version, enr_status, enr_ended_reason, enr_enrolled_at, enr_paused_until, ...row } =
    r;
  const enrollment =
    enr_id === null
      ? null
      : toEnrollment({
          client_id: r.id,
          enrollment_id: enr_id,
          plan_id: enr_plan_id as string,
          plan_name: enr_plan_name as string,
          plan_version: enr_plan_version as number,
          status: enr_status as string,
          ended_reason: enr_ended_reason,
          enrolled_at: enr_enrolled_at as Date,
          paused_until: enr_paused_until,
        });
  return { row, enrollment };
}

export async function listClients(db: Db, agentId: string, q: ClientListQuery): Promise<PageOf<Client>> {
  const base = filteredClients(db, agentId, q);
  const [column, direction] = SORTS[q.sort ?? '-created_at'];
  // The default order (created_at DESC NULLS LAST, id) is clients_agent_list_idx's: the page
  // reads `limit` rows off the index, each with its enrolment (withEnrollment); the total is
  // in the same statement (one snapshot, clientTotal).
  const { rows, total } = await pageTotal(
    await withEnrollment(base, agentId)
      .select(clientTotal(db, agentId, q, base))
      .orderBy(sql.ref(column), (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast())
      .orderBy('id')
      .limit(q.limit)
      .offset(offsetOf(q))
      .execute(),
    base,
    offsetOf(q),
  );
  return {
    items: rows.map((r) => {
      const { row, enrollment } = splitEnrollment(r);
      return toClient(row, enrollment);
    }),
    total,
    page: q.page,
    limit: q.limit,
  };
}

/**
 * A row as the API shows it: its zone (null → the agent's), its tags (not the lower-cased
 * copy the filter reads) and its current or last enrolment (null: never enrolled).
 */
function toClient<R extends { id: string; time_zone: string | null; tags: string[]; tag_keys?: string[] }>(
  row: R,
  enrollment: Enrollment | null,
) {
  const { tag_keys: _, ...shown } = row;
  return { ...(toJson(shown) as unknown as Client), time_zone: row.time_zone ?? null, tags: row.tags ?? [], enrollment };
}

/**
 * The agent's live clients among `ids` with what a bulk action needs (stage, tags, the
 * aggregate's sequence for If-Match); ids of nobody, of another agent or of a deleted client
 * are simply absent.
 */
export async function clientsByIds(
  db: Db,
  agentId: string,
  ids: readonly string[],
): Promise<Map<string, { stage: string; tags: string[]; aggregate_seq: number | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await clientsOf(db, agentId)
    .select(['id', 'stage', 'tags', 'aggregate_seq'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, { stage: r.stage, tags: r.tags, aggregate_seq: r.aggregate_seq }]));
}

/** The ids of the agent's live clients matching the filter, newest first (the list's order), at most `limit`. */
export async function clientIdsMatching(db: Db, agentId: string, q: ClientFilter, limit: number): Promise<string[]> {
  const rows = await filteredClients(db, agentId, q).select('id').orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}

/**
 * One client, with its `enrollment` (current or last; null when never enrolled) and `aggregate_seq`: the stream sequence of the last event on its subject
 * (null only for rows projected before it existed and not yet replayed), the ETag source.
 */
export async function getClient(db: Db, agentId: string, id: string): Promise<(Client & { aggregate_seq: number | null }) | undefined> {
  // One statement: the row and its enrolment (withEnrollment).
  const found = await withEnrollment(clientsOf(db, agentId), agentId).where('clients.id', '=', id).executeTakeFirst();
  if (!found) return undefined;
  const { row, enrollment } = splitEnrollment(found);
  return { ...toClient(row, enrollment), aggregate_seq: row.aggregate_seq };
}

/** The client's whole history across streams, oldest first. */
export async function clientTimeline(db: Db, agentId: string, clientId: string): Promise<TimelineEntry[]> {
  const rows = await db
    .selectFrom('client_events')
    .select(['stream', 'seq', 'type', 'aggregate', 'aggregate_id', 'occurred_at', 'data'])
    .where('agent_id', '=', agentId)
    .where('client_id', '=', clientId)
    .orderBy('occurred_at')
    .orderBy('stream')
    .orderBy('seq')
    .execute();
  return rows.map((r) => toJson(r) as unknown as TimelineEntry);
}

/** The custom-field keys the agent's clients use (matching the filter): the export's extra columns. */
export async function customFieldKeys(db: Db, agentId: string, q: ClientFilter): Promise<string[]> {
  const rows = await filteredClients(db, agentId, q).select(sql<string>`jsonb_object_keys(custom_fields)`.as('key')).distinct().execute();
  return rows.map((r) => r.key).sort();
}

/**
 * Every client matching the filter, newest first, a batch at a time (keyset on the list's
 * index order, so a big book is never held in memory nor read with growing offsets).
 */
export async function* clientsForExport(db: Db, agentId: string, q: ClientFilter, batch = 500): AsyncGenerator<Client[]> {
  let after: { created_at: Date; id: string } | null = null;
  for (;;) {
    let page = filteredClients(db, agentId, q);
    if (after) {
      const a: { created_at: Date; id: string } = after;
      page = page.where((eb) =>
        eb.or([eb('created_at', '<', a.created_at), eb.and([eb('created_at', '=', a.created_at), eb('id', '>', a.id)])]),
      );
    }
    const rows = await page.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(batch).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => toClient(r, null));
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    after = { created_at: last.created_at as Date, id: last.id };
  }
}
