import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { listPlans, recentImports } from '#lib/server/queries.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import type { Actions, PageServerLoad } from './$types';
import { DUPLICATE_CHOICES, type ImportFormResult, type ImportPreview, MAX_IMPORT_BYTES, mappingOf, NO_PLAN } from './import-form.ts';
import { problemMessage, sendCsv } from './upload.server.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const db = getDb();
  const agentId = locals.agent!.id;
  const [plans, recent] = await Promise.all([listPlans(db, agentId), recentImports(db, agentId, 5)]);
  return { plans: plans.map((p) => ({ id: p.id, name: p.name, is_default: p.is_default })), recent };
};

type Upload = { file: File; mapping: ReturnType<typeof mappingOf>; values: ImportFormResult['values'] };

/**
 * The multipart body → the file and the choices. A body over the web server's
 * BODY_SIZE_LIMIT fails while being read: that is a 413 in words, not an error page.
 */
async function readUpload(request: Request): Promise<Upload | { status: number; message: string; values: ImportFormResult['values'] }> {
  const fallback: ImportFormResult['values'] = { on_duplicate: 'skip', plan_id: NO_PLAN };
  let data: FormData;
  try {
    data = await request.formData();
  } catch {
    return {
      status: 413,
      message: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB. Split it and import the parts.`,
      values: fallback,
    };
  }
  const onDuplicate = data.get('on_duplicate');
  const planId = data.get('plan_id');
  const values: ImportFormResult['values'] = {
    on_duplicate: DUPLICATE_CHOICES.find((c) => c === onDuplicate) ?? 'skip',
    plan_id: typeof planId === 'string' && UUID_RE.test(planId) ? planId : NO_PLAN,
  };
  const file = data.get('file');
  // Without JavaScript the browser cannot keep the chosen file across the preview.
  if (!(file instanceof File) || file.size === 0)
    return { status: 400, message: file instanceof File && file.name ? 'The file is empty.' : 'Choose a CSV file to import.', values };
  if (file.size > MAX_IMPORT_BYTES)
    return { status: 413, message: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB. Split it and import the parts.`, values };
  return { file, mapping: mappingOf(data), values };
}

const failure = (step: ImportFormResult['step'], status: number, message: string, values: ImportFormResult['values']) =>
  fail(status >= 400 && status < 600 ? status : 400, { step, message, preview: null, values } satisfies ImportFormResult);

export const actions: Actions = {
  /** Reads the file as the import would (`POST /api/imports/preview`), with the mapping the agent chose (none → the gateway guesses). */
  preview: async ({ request, locals }) => {
    const upload = await readUpload(request);
    if (!('file' in upload)) return failure('preview', upload.status, upload.message, upload.values);
    const query = new URLSearchParams();
    if (upload.mapping) query.set('mapping', JSON.stringify(upload.mapping));
    const res = await sendCsv<ImportPreview>('/api/imports/preview', upload.file, locals.token, query);
    if (!res.ok) return failure('preview', res.status, problemMessage(res.problem), upload.values);
    return { step: 'preview', message: null, preview: res.data, values: upload.values } satisfies ImportFormResult;
  },

  /** Starts the job (`POST /api/imports` → 202 {id}) and goes to its page. */
  start: async ({ request, locals }) => {
    const upload = await readUpload(request);
    if (!('file' in upload)) return failure('start', upload.status, upload.message, upload.values);
    const query = new URLSearchParams({ on_duplicate: upload.values.on_duplicate });
    if (upload.values.plan_id !== NO_PLAN) query.set('plan_id', upload.values.plan_id);
    if (upload.mapping) query.set('mapping', JSON.stringify(upload.mapping));
    const res = await sendCsv<{ id: string }>('/api/imports', upload.file, locals.token, query);
    if (!res.ok) return failure('start', res.status, problemMessage(res.problem), upload.values);
    if (!res.data || typeof res.data.id !== 'string' || !UUID_RE.test(res.data.id))
      return failure('start', 502, 'The import could not be started. Please try again.', upload.values);
    redirect(303, `/clients/import/${res.data.id}`);
  },
};
