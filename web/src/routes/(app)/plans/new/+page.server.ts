import { redirect } from '@sveltejs/kit';
import { gateway } from '#lib/server/gateway.ts';
import { setFlash } from '#lib/server/session.ts';
import type { Plan } from '#lib/types.ts';
import { editSteps, planFailure } from '../plan-actions.ts';
import { planBody, readPlanForm } from '../plan-form.ts';
import type { Actions } from './$types';

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
