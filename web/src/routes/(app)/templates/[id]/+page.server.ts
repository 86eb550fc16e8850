import { MERGE_FIELDS } from '@realtoros/contracts';
import { error, fail, redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { gateway } from '#lib/server/gateway.ts';
import { customFieldKeys, getTemplate } from '#lib/server/queries.ts';
import { setFlash } from '#lib/server/session.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import type { Template } from '#lib/types.ts';
import { templateFailure } from '../template-actions.ts';
import { readTemplateForm } from '../template-form.ts';
import type { Actions, PageServerLoad } from './$types';

const mergeFields = MERGE_FIELDS.map((f) => ({ name: f.name, description: f.description }));

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This template does not exist.');
  const db = getDb();
  const [template, customKeys] = await Promise.all([
    getTemplate(db, locals.agent!.id, params.id),
    customFieldKeys(db, locals.agent!.id, {}),
  ]);
  if (!template) error(404, 'This template does not exist or was deleted.');
  const { aggregate_seq: _, ...view } = template;
  return { template: view, mergeFields, customKeys };
};

export const actions: Actions = {
  save: async ({ request, locals, params }) => {
    const draft = readTemplateForm(await request.formData());
    const res = await gateway<Template>('PATCH', `/api/templates/${params.id}`, { token: locals.token, body: draft });
    if (!res.ok) return templateFailure(res.problem, draft);
    return { form: 'template', ok: true, message: `Saved as version ${res.data.version ?? ''}.`.replace(' .', '.'), errors: {}, draft };
  },
  delete: async ({ locals, params, cookies }) => {
    const res = await gateway('DELETE', `/api/templates/${params.id}`, { token: locals.token });
    if (res.ok || res.status === 404) {
      setFlash(
        cookies,
        res.ok ? 'The template was deleted. Plan steps that used it now get an ordinary AI email.' : 'This template was already deleted.',
      );
      redirect(303, '/templates');
    }
    return fail(res.status, { form: 'delete', message: res.problem.detail ?? res.problem.title });
  },
};
