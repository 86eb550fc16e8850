import { textFields } from './forms.ts';

export const CLIENT_FIELDS = ['name', 'email', 'phone', 'property_address', 'property_type', 'stage', 'notes'] as const;

/**
 * The client form → an API body. Empty optional fields become null on an update (clearing
 * them) and are left out on a create. Values are passed as typed: the gateway validates
 * them and its problem details come back inline.
 */
export function clientBody(data: FormData, mode: 'create' | 'update') {
  const v = textFields(data, CLIENT_FIELDS);
  const body: Record<string, unknown> = { name: v.name, email: v.email };
  for (const k of ['phone', 'property_address', 'notes'] as const) {
    if (v[k]) body[k] = v[k];
    else if (mode === 'update') body[k] = null;
  }
  if (v.property_type) body.property_type = v.property_type;
  else if (mode === 'update') body.property_type = null;
  if (v.stage) body.stage = v.stage;
  return { body, values: v };
}
