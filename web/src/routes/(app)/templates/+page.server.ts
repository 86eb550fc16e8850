import { MERGE_FIELDS } from '@realtoros/contracts';
import { redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { gateway } from '#lib/server/gateway.ts';
import { customFieldKeys, listTemplates } from '#lib/server/queries.ts';
import { setFlash } from '#lib/server/session.ts';
import type { Template } from '#lib/types.ts';
import type { Actions, PageServerLoad } from './$types';
import { templateFailure } from './template-actions.ts';
import { readTemplateForm } from './template-form.ts';

const mergeFields = MERGE_FIELDS.map((f) => ({ name: f.name, description: f.description }));

export const load: PageServerLoad = async ({ locals }) => {
  const db = getDb();
  const agentId = locals.agent!.id;
  const [templates, customKeys] = await Promise.all([listTemplates(db, agentId), customFieldKeys(db, agentId, {})]);
  return { templates, mergeFields, customKeys };
};

export const actions: Actions = {
  create: async ({ request, locals, cookies }) => {
    const draft = readTemplateForm(await request.formData());
    const res = await gateway<Template>('POST', '/api/templates', { token: locals.token, body: draft });
    if (!res.ok) return templateFailure(res.problem, draft);
    setFlash(cookies, `Template “${res.data.name}” saved. Use it on a plan step or a manual email.`);
    redirect(303, `/templates/${res.data.id}`);
  },
};
