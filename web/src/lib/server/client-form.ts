import { textFields } from './forms.ts';

export const CLIENT_FIELDS = [
  'name',
  'email',
  'phone',
  'property_address',
  'property_type',
  'stage',
  'notes',
  'time_zone',
  'plan_id',
  'tags',
] as const;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The create form's choice of "no plan" (an empty choice means the agent's default plan). */
export const NO_PLAN = 'none';

/** "VIP, buyer ,, Vip" → ["VIP", "buyer"]: the tags field's text as the API's list. */
export function tagList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out;
}

/**
 * The client form → an API body. Empty optional fields become null on an update (clearing
 * them) and are left out on a create; the plan is a choice of the create form only. Values
 * are passed as typed: the gateway validates them and its problem details come back inline.
 */
export function clientBody(data: FormData, mode: 'create' | 'update') {
  const v = textFields(data, CLIENT_FIELDS);
  const body: Record<string, unknown> = { name: v.name, email: v.email };
  for (const k of ['phone', 'property_address', 'notes', 'time_zone'] as const) {
    if (v[k]) body[k] = v[k];
    else if (mode === 'update') body[k] = null;
  }
  if (v.property_type) body.property_type = v.property_type;
  else if (mode === 'update') body.property_type = null;
  if (v.stage) body.stage = v.stage;
  // Tags: comma-separated, blanks dropped, a repeat in another case dropped (the first spelling
  // stays); an update always sends the list (empty clears it), a create only when there are some.
  const tags = tagList(v.tags);
  if (tags.length > 0 || mode === 'update') body.tags = tags;
  // The plan a new client joins: the one picked, none, or (left empty) the agent's default.
  if (mode === 'create') {
    if (v.plan_id === NO_PLAN) body.plan_id = null;
    else if (UUID_RE.test(v.plan_id)) body.plan_id = v.plan_id;
  }
  return { body, values: v };
}
