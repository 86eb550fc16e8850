import { redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { listTemplates } from '#lib/server/queries.ts';
import { gateway } from '#lib/server/gateway.ts';
import { setFlash } from '#lib/server/session.ts';
import type { Plan } from '#lib/types.ts';
import { editSteps, planFailure } from '../plan-actions.ts';
import { planBody, readPlanForm } from '../plan-form.ts';
import type { Actions, PageServerLoad } from './$types';

/** The agent's templates, for the steps' template pickers. */
export const load: PageServerLoad = async ({ locals }) => ({
  templates: (await listTemplates(getDb(), locals.agent!.id)).map((t) => ({ id: t.id, name: t.name })),
});

export const actions: Actions = {
  create: async ({ request, locals, cookies }) => {
    const draft = readPlanForm(await request.formData());
    const res = await gateway<Plan>('POST', '/api/plans', { token: locals.token, body: planBody(draft) });
    if (!res.ok) return planFailure(res.problem, draft);
    setFlash(cookies, `“${res.data.name}” created. Enrol clients from their page, or pick it when you add one.`);
    redirect(303, `/plans/${res.data.id}`);
  },
  edit: ({ request }) => editSteps(request),
};
