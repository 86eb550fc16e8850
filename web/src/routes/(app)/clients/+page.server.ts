import { fail } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { gateway } from '#lib/server/gateway.ts';
import { listClients, listPlans } from '#lib/server/queries.ts';
import { CLIENT_SORTS, CLIENT_STAGES, type ClientSort, type ClientStage, isOneOf, PROPERTY_TYPES, type PropertyType } from '#lib/vocab.ts';
import { type BulkOutcome, bulkRequest, bulkSummary } from './bulk.ts';
import type { Actions, PageServerLoad } from './$types';

const LIMIT = 20;

/** Filters, sort and page live in the URL: shareable, and the back button works. */
export const load: PageServerLoad = async ({ locals, url }) => {
  const p = url.searchParams;
  const q = (p.get('q') ?? '').slice(0, 200);
  const tag = (p.get('tag') ?? '').trim().slice(0, 200);
  const stage = p.get('stage');
  const propertyType = p.get('property_type');
  const sort = p.get('sort');
  const page = Math.max(1, Math.min(10_000, Number.parseInt(p.get('page') ?? '1', 10) || 1));
  const filters: { q: string; tag: string; stage: ClientStage | ''; property_type: PropertyType | ''; sort: ClientSort } = {
    q,
    tag,
    stage: isOneOf(CLIENT_STAGES, stage) ? stage : '',
    property_type: isOneOf(PROPERTY_TYPES, propertyType) ? propertyType : '',
    sort: isOneOf(CLIENT_SORTS, sort) ? sort : '-created_at',
  };
  const db = getDb();
  const [result, plans] = await Promise.all([
    listClients(db, locals.agent!.id, {
      page,
      limit: LIMIT,
      q: filters.q.trim() || undefined,
      tag: filters.tag || undefined,
      stage: filters.stage || undefined,
      property_type: filters.property_type || undefined,
      sort: filters.sort,
    }),
    listPlans(db, locals.agent!.id),
  ]);
  return { now: new Date().toISOString(), filters, clients: result, plans: plans.map((pl) => ({ id: pl.id, name: pl.name })) };
};

export const actions: Actions = {
  /** The bulk bar: one action on the ticked clients, or on every client matching the filter. */
  bulk: async ({ request, locals }) => {
    const built = bulkRequest(await request.formData());
    if (!built.ok) return fail(400, { form: 'bulk', ok: false, message: built.message });
    // Up to 10,000 clients: give it longer than a single write.
    const res = await gateway<{ results: BulkOutcome[] }>('POST', '/api/clients/bulk', {
      token: locals.token,
      body: built.body,
      timeoutMs: 300_000,
    });
    if (!res.ok) {
      const first = res.problem.errors?.[0]?.detail;
      return fail(res.status, { form: 'bulk', ok: false, message: first ?? res.problem.detail ?? res.problem.title });
    }
    return { form: 'bulk', ok: true, message: bulkSummary(built.body.action, res.data.results), ...counts(res.data.results) };
  },
};

const counts = (results: BulkOutcome[]) => ({
  done: results.filter((r) => r.status === 'ok').length,
  not_found: results.filter((r) => r.status === 'not_found').length,
  failed: results.filter((r) => r.status === 'error').length,
});
