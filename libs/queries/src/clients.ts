import { type Client, type ClientListQuery, type Enrollment, type PageOf, type TimelineEntry, tagKey } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { sql } from 'kysely';
import { enrollmentsOf } from './plans.ts';
import { likePattern, offsetOf, pageTotal, toJson, totalOf } from './rows.ts';

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

export async function listClients(db: Db, agentId: string, q: ClientListQuery): Promise<PageOf<Client>> {
  const base = filteredClients(db, agentId, q);
  const [column, direction] = SORTS[q.sort ?? '-created_at'];
  // The default order (created_at DESC NULLS LAST, id) is clients_agent_list_idx's: the page
  // reads `limit` rows off the index; the total, in the same statement (one snapshot), is an
  // index-only count of the filter (`count(*) OVER ()` had to fetch every matching row first).
  const { rows, total } = await pageTotal(
    await base
      .selectAll()
      .select(totalOf(base))
      .orderBy(sql.ref(column), (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast())
      .orderBy('id')
      .limit(q.limit)
      .offset(offsetOf(q))
      .execute(),
    base,
    offsetOf(q),
  );
  const enrollments = await enrollmentsOf(
    db,
    agentId,
    rows.map((r) => r.id),
  );
  return { items: rows.map((r) => toClient(r, enrollments.get(r.id) ?? null)), total, page: q.page, limit: q.limit };
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
  const row = await clientsOf(db, agentId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return { ...toClient(row, (await enrollmentsOf(db, agentId, [id])).get(id) ?? null), aggregate_seq: row.aggregate_seq };
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
