import { redirect } from '@sveltejs/kit';
import { CLIENT_FIELDS, clientBody } from '#lib/server/client-form.ts';
import { getDb } from '#lib/server/db.ts';
import { failWithProblem } from '#lib/server/forms.ts';
import { gateway } from '#lib/server/gateway.ts';
import { listPlans } from '#lib/server/queries.ts';
import { setFlash } from '#lib/server/session.ts';
import type { Client } from '#lib/types.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  const plans = await listPlans(getDb(), locals.agent!.id);
  return { plans: plans.map((p) => ({ id: p.id, name: p.name, is_default: p.is_default, steps: p.steps.length })) };
};

export const actions: Actions = {
  default: async ({ request, locals, cookies }) => {
    const { body, values } = clientBody(await request.formData(), 'create');
    const res = await gateway<Client>('POST', '/api/clients', { token: locals.token, body });
    if (!res.ok) {
      if (res.status === 409 && !res.problem.errors?.length) {
        res.problem.errors = [{ pointer: '/email', detail: res.problem.detail ?? 'You already have a client with this email' }];
      }
      return failWithProblem(res.problem, { fields: CLIENT_FIELDS, values });
    }
    setFlash(
      cookies,
      body.plan_id === null ? `${res.data.name} added, on no plan.` : `${res.data.name} added — follow-ups are being planned.`,
    );
    redirect(303, `/clients/${res.data.id}`);
  },
};
