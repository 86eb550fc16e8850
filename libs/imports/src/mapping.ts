import {
  CLIENT_STAGES,
  IMPORT_TARGETS,
  type ImportTarget,
  type ClientCreateBody,
  ClientCreateBody as ClientCreateSchema,
  PROPERTY_TYPES,
  schemaIssues,
} from '@realtoros/contracts';
import { type CsvTable, fromSpreadsheetCell } from './csv.ts';

export { IMPORT_TARGETS, type ImportTarget } from '@realtoros/contracts';
/** Column header → target. A column the mapping does not name is a custom field. */
export type ImportMapping = Record<string, ImportTarget>;

/** Header spellings seen in spreadsheets and other CRMs' exports, normalised (lowercase, letters and digits only). */
const SYNONYMS: Record<string, ImportTarget> = {
  name: 'name',
  fullname: 'name',
  clientname: 'name',
  contactname: 'name',
  contact: 'name',
  client: 'name',
  firstname: 'first_name',
  first: 'first_name',
  givenname: 'first_name',
  lastname: 'last_name',
  last: 'last_name',
  surname: 'last_name',
  familyname: 'last_name',
  email: 'email',
  emailaddress: 'email',
  mail: 'email',
  primaryemail: 'email',
  phone: 'phone',
  phonenumber: 'phone',
  mobile: 'phone',
  mobilephone: 'phone',
  cell: 'phone',
  cellphone: 'phone',
  telephone: 'phone',
  primaryphone: 'phone',
  address: 'property_address',
  propertyaddress: 'property_address',
  streetaddress: 'property_address',
  street: 'property_address',
  propertytype: 'property_type',
  type: 'property_type',
  stage: 'stage',
  status: 'stage',
  leadstatus: 'stage',
  pipelinestage: 'stage',
  notes: 'notes',
  note: 'notes',
  comments: 'notes',
  description: 'notes',
  timezone: 'time_zone',
  tz: 'time_zone',
  tags: 'tags',
  tag: 'tags',
  labels: 'tags',
};

const normalise = (header: string) => header.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The mapping a person would pick for these headers; each field taken by its first column only. */
export function guessMapping(columns: readonly string[]): ImportMapping {
  const taken = new Set<ImportTarget>();
  const mapping: ImportMapping = {};
  for (const column of columns) {
    const target = SYNONYMS[normalise(column)];
    mapping[column] = target && !taken.has(target) ? target : 'custom';
    if (target) taken.add(target);
  }
  return mapping;
}

/** Problems with the mapping itself (before any row is read); empty when it can be imported. */
export function mappingProblems(columns: readonly string[], mapping: ImportMapping): string[] {
  const problems: string[] = [];
  for (const column of Object.keys(mapping))
    if (!columns.includes(column)) problems.push(`The mapping names a column "${column}" the file does not have.`);
  const targets = columns.map((c) => mapping[c] ?? 'custom');
  for (const t of IMPORT_TARGETS)
    if (t !== 'custom' && t !== 'ignore' && targets.filter((x) => x === t).length > 1)
      problems.push(`More than one column is mapped to ${t}.`);
  if (!targets.includes('email')) problems.push('No column is mapped to email; every client needs one.');
  if (!targets.includes('name') && !targets.includes('first_name') && !targets.includes('last_name'))
    problems.push('No column is mapped to name (or first/last name).');
  return problems;
}

export type RowResult = { ok: true; client: ClientCreateBody } | { ok: false; reason: string };

/** "Under Contract", "under-contract" → "under_contract". */
const vocabulary = (v: string) =>
  v
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/**
 * One data row as the client it creates, or the reason it cannot be one. Blank cells are
 * left out (the field's default applies); the result is checked against the same schema as
 * POST /api/clients, so an imported client is exactly one the form could have created.
 */
export function rowToClient(columns: readonly string[], cells: readonly string[], mapping: ImportMapping): RowResult {
  const client: Record<string, unknown> = {};
  const custom: Record<string, string> = {};
  let first = '';
  let last = '';
  for (const [i, column] of columns.entries()) {
    const value = fromSpreadsheetCell((cells[i] ?? '').trim());
    if (value === '') continue;
    const target = mapping[column] ?? 'custom';
    if (target === 'ignore') continue;
    else if (target === 'custom') custom[column] = value;
    else if (target === 'first_name') first = value;
    else if (target === 'last_name') last = value;
    else if (target === 'email') client.email = value.toLowerCase();
    // "VIP; Buyer 2027" (the export's form) or "VIP, Buyer": each one a tag, checked as the form's.
    else if (target === 'tags')
      client.tags = value
        .split(/[;,]/)
        .map((t) => t.trim())
        .filter(Boolean);
    else if (target === 'stage') {
      const stage = vocabulary(value);
      if (!(CLIENT_STAGES as readonly string[]).includes(stage))
        return { ok: false, reason: `unknown stage "${value}" (one of: ${CLIENT_STAGES.join(', ')})` };
      client.stage = stage;
    } else if (target === 'property_type') {
      const type = vocabulary(value);
      if (!(PROPERTY_TYPES as readonly string[]).includes(type))
        return { ok: false, reason: `unknown property type "${value}" (one of: ${PROPERTY_TYPES.join(', ')})` };
      client.property_type = type;
    } else client[target] = value;
  }
  if (client.name === undefined && (first || last)) client.name = [first, last].filter(Boolean).join(' ');
  if (Object.keys(custom).length > 0) client.custom_fields = custom;
  if (client.name === undefined) return { ok: false, reason: 'name is missing' };
  if (client.email === undefined) return { ok: false, reason: 'email is missing' };
  const issue = schemaIssues(ClientCreateSchema, client)[0];
  if (issue) {
    const field = issue.pointer.split('/').filter(Boolean).join('.') || 'row';
    if (field === 'email') return { ok: false, reason: `"${String(client.email)}" is not an email address` };
    return { ok: false, reason: `${field} ${issue.detail}` };
  }
  return { ok: true, client: client as ClientCreateBody };
}

/** Every row checked, as the preview shows it and the job will import it. */
export function checkRows(table: CsvTable, mapping: ImportMapping): { row: number; result: RowResult }[] {
  const ragged = new Set(table.ragged);
  return table.rows.map((cells, i) => ({
    row: i + 1,
    result: ragged.has(i + 1)
      ? { ok: false as const, reason: `the row has more cells than the header has columns (${table.columns.length}); check its quotes` }
      : rowToClient(table.columns, cells, mapping),
  }));
}
