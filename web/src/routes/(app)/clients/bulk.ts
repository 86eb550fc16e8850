import { CLIENT_STAGES, isOneOf, PROPERTY_TYPES } from '#lib/vocab.ts';

/** The gateway's bulk actions (POST /api/clients/bulk, ARCHITECTURE.md §10). */
export const BULK_ACTIONS = ['set_stage', 'enroll', 'end_enrollment', 'tag', 'delete'] as const;
export type BulkActionName = (typeof BULK_ACTIONS)[number];
export type BulkOutcome = { id: string; status: 'ok' | 'not_found' | 'error'; detail?: string };
export type BulkBody = {
  ids?: string[];
  filter?: { stage?: string; property_type?: string; q?: string; tag?: string };
  action: BulkActionName;
  value?: string;
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const text = (data: FormData, name: string) => {
  const v = data.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

/**
 * The bulk bar's form → the API body. `scope=filter` sends the list's filters (hidden inputs
 * carrying the URL's), else the ticked `ids`. The button pressed names the action; its value
 * comes from that action's own control. What the gateway checks again (a stage, a plan of
 * this agent, a valid tag) is only checked here enough to say something useful at once.
 */
export function bulkRequest(data: FormData): { ok: true; body: BulkBody } | { ok: false; message: string } {
  const action = text(data, 'bulk_action');
  if (!isOneOf(BULK_ACTIONS, action)) return { ok: false, message: 'Choose what to do with the selected clients.' };
  const body: BulkBody = { action };
  if (text(data, 'scope') === 'filter') {
    const filter: NonNullable<BulkBody['filter']> = {};
    const stage = text(data, 'f_stage');
    const propertyType = text(data, 'f_property_type');
    if (isOneOf(CLIENT_STAGES, stage)) filter.stage = stage;
    if (isOneOf(PROPERTY_TYPES, propertyType)) filter.property_type = propertyType;
    if (text(data, 'f_q')) filter.q = text(data, 'f_q').slice(0, 200);
    if (text(data, 'f_tag')) filter.tag = text(data, 'f_tag').slice(0, 200);
    body.filter = filter;
  } else {
    const ids = [...new Set(data.getAll('ids').filter((v): v is string => typeof v === 'string' && UUID_RE.test(v)))];
    if (ids.length === 0) return { ok: false, message: 'Select at least one client.' };
    body.ids = ids.slice(0, 1000);
  }
  if (action === 'set_stage') {
    const stage = text(data, 'stage_value');
    if (!isOneOf(CLIENT_STAGES, stage)) return { ok: false, message: 'Choose the stage to move them to.' };
    body.value = stage;
  } else if (action === 'enroll') {
    const plan = text(data, 'plan_value');
    if (!UUID_RE.test(plan)) return { ok: false, message: 'Choose the plan to enrol them in.' };
    body.value = plan;
  } else if (action === 'tag') {
    const tag = text(data, 'tag_value');
    if (!tag) return { ok: false, message: 'Type the tag to add.' };
    body.value = tag;
  }
  return { ok: true, body };
}

const DONE: Record<BulkActionName, string> = {
  set_stage: 'stage changed',
  enroll: 'enrolled',
  end_enrollment: 'plan ended',
  tag: 'tagged',
  delete: 'deleted',
};

/** "12 done (stage changed), 1 not found, 2 failed: <first reason>" — what the bar shows after a run. */
export function bulkSummary(action: BulkActionName, results: readonly BulkOutcome[]): string {
  const done = results.filter((r) => r.status === 'ok').length;
  const notFound = results.filter((r) => r.status === 'not_found').length;
  const failed = results.filter((r) => r.status === 'error');
  const reason = failed.find((r) => r.detail)?.detail;
  return `${done} done (${DONE[action]}), ${notFound} not found, ${failed.length} failed${reason ? ` — ${reason}` : ''}.`;
}
