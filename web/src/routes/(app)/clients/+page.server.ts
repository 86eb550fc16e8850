import { getDb } from '#lib/server/db.ts';
import { listClients } from '#lib/server/queries.ts';
import { CLIENT_SORTS, CLIENT_STAGES, type ClientSort, type ClientStage, isOneOf, PROPERTY_TYPES, type PropertyType } from '#lib/vocab.ts';
import type { PageServerLoad } from './$types';

const LIMIT = 20;

/** Filters, sort and page live in the URL: shareable, and the back button works. */
export const load: PageServerLoad = async ({ locals, url }) => {
  const p = url.searchParams;
  const q = (p.get('q') ?? '').slice(0, 200);
  const stage = p.get('stage');
  const propertyType = p.get('property_type');
  const sort = p.get('sort');
  const page = Math.max(1, Math.min(10_000, Number.parseInt(p.get('page') ?? '1', 10) || 1));
  const filters: { q: string; stage: ClientStage | ''; property_type: PropertyType | ''; sort: ClientSort } = {
    q,
    stage: isOneOf(CLIENT_STAGES, stage) ? stage : '',
    property_type: isOneOf(PROPERTY_TYPES, propertyType) ? propertyType : '',
    sort: isOneOf(CLIENT_SORTS, sort) ? sort : '-created_at',
  };
  const result = await listClients(getDb(), locals.agent!.id, {
    page,
    limit: LIMIT,
    q: filters.q.trim() || undefined,
    stage: filters.stage || undefined,
    property_type: filters.property_type || undefined,
    sort: filters.sort,
  });
  return { now: new Date().toISOString(), filters, clients: result };
};
