import type { ClientCreateBody, ImportOnDuplicate, ImportTarget } from '@realtoros/contracts';

/**
 * The import page's vocabulary and shapes, as the browser needs them (type-only imports from
 * the contracts: nothing of TypeBox reaches the bundle). `import-form.unit.spec.ts` keeps the
 * values equal to the contracts' and to `@realtoros/imports`.
 */

/** The largest file the gateway reads (`MAX_IMPORT_BYTES` of `@realtoros/imports`); larger ones are refused here before uploading. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 50_000;

/** What a column can become, in the order the select lists them. */
export const TARGET_LABELS: Record<ImportTarget, string> = {
  name: 'Full name',
  first_name: 'First name',
  last_name: 'Last name',
  email: 'Email',
  phone: 'Phone',
  property_address: 'Property address',
  property_type: 'Property type',
  stage: 'Stage',
  notes: 'Notes',
  time_zone: 'Time zone',
  tags: 'Tags',
  custom: 'Custom field',
  ignore: 'Don’t import',
};
export const TARGETS = Object.keys(TARGET_LABELS) as ImportTarget[];

export const DUPLICATE_LABELS: Record<ImportOnDuplicate, { label: string; hint: string }> = {
  skip: { label: 'Skip them', hint: 'The existing client stays as it is; the row is counted as skipped.' },
  update: { label: 'Update the existing client', hint: 'The existing client takes the row’s values; the row is counted as updated.' },
};
export const DUPLICATE_CHOICES = Object.keys(DUPLICATE_LABELS) as ImportOnDuplicate[];

/** The plan select's "no plan" value (new clients join no plan unless one is picked). */
export const NO_PLAN = 'none';

/** Each column's select is named `map:<header>`; the form's mapping is read back from those. */
export const MAP_PREFIX = 'map:';

/** The form's `map:<header>` fields → the gateway's `mapping` ({header: target}); null when there are none (let the gateway guess). */
export function mappingOf(data: FormData): Record<string, ImportTarget> | null {
  const mapping: Record<string, ImportTarget> = {};
  let any = false;
  for (const [key, value] of data) {
    if (!key.startsWith(MAP_PREFIX) || typeof value !== 'string') continue;
    if (!(TARGETS as string[]).includes(value)) continue;
    mapping[key.slice(MAP_PREFIX.length)] = value as ImportTarget;
    any = true;
  }
  return any ? mapping : null;
}

/** `POST /api/imports/preview`'s answer. */
export type ImportPreview = {
  file_name: string | null;
  encoding: 'utf-8' | 'windows-1252';
  delimiter: ',' | ';';
  total: number;
  columns: { header: string; target: ImportTarget; samples: string[] }[];
  mapping: Record<string, ImportTarget>;
  mapping_problems: string[];
  /** The first rows, each the client it creates or why it cannot be one. */
  rows: ({ row: number; ok: true; client: ClientCreateBody; duplicate: boolean } | { row: number; ok: false; reason: string })[];
  bad_rows: number;
  /** The first rows with problems (row numbers from 1 = the first row after the header). */
  errors: { row: number; reason: string }[];
  duplicates: number;
};

/** What both actions answer: the step, a message to show, the preview (when there is one) and the choices to keep. */
export type ImportFormResult = {
  step: 'preview' | 'start';
  message: string | null;
  preview: ImportPreview | null;
  values: { on_duplicate: ImportOnDuplicate; plan_id: string };
};

/** "1,234" */
export const count = (n: number) => n.toLocaleString('en-US');
/** "1 row", "3 rows" */
export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;
