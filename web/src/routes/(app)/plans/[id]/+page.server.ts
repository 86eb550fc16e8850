import { error, fail, redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { gateway } from '#lib/server/gateway.ts';
import { getPlan, listTemplates } from '#lib/server/queries.ts';
import { setFlash } from '#lib/server/session.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import type { Plan, PlanPreview } from '#lib/types.ts';
import { editSteps, type PlanFormResult, planFailure } from '../plan-actions.ts';
import { planBody, readPlanForm } from '../plan-form.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This plan does not exist.');
  const [plan, templates] = await Promise.all([getPlan(getDb(), locals.agent!.id, params.id), listTemplates(getDb(), locals.agent!.id)]);
  if (!plan) error(404, 'This plan does not exist or was deleted.');
  return { plan, templates: templates.map((t) => ({ id: t.id, name: t.name })) };
};

export const actions: Actions = {
  save: async ({ request, locals, params }) => {
    const data = await request.formData();
    const draft = readPlanForm(data);
    const applyTo = data.get('apply_to') === 'current' ? 'current' : 'new';
    const res = await gateway<Plan>('PATCH', `/api/plans/${params.id}`, {
      token: locals.token,
      body: { ...planBody(draft), apply_to: applyTo },
    });
    if (!res.ok) return planFailure(res.problem, draft);
    const v = res.data?.version;
    const message =
      applyTo === 'current'
        ? `Saved${v ? ` as version ${v}` : ''} and applied to current enrolments.`
        : `Saved${v ? ` as version ${v}` : ''}. Clients enrolled from now on get it.`;
    return { form: 'plan', ok: true, message, saved: res.data ?? null } satisfies PlanFormResult & { saved: Plan | null };
  },

  preview: async ({ request, locals, params }) => {
    const draft = readPlanForm(await request.formData());
    const res = await gateway<PlanPreview>('POST', `/api/plans/${params.id}/preview`, { token: locals.token, body: planBody(draft) });
    if (!res.ok) return planFailure(res.problem, draft);
    return { form: 'plan', draft, preview: res.data.summary } satisfies PlanFormResult;
  },

  edit: ({ request }) => editSteps(request),

  delete: async ({ locals, params, cookies }) => {
    const plan = await getPlan(getDb(), locals.agent!.id, params.id).catch(() => undefined);
    const res = await gateway('DELETE', `/api/plans/${params.id}`, { token: locals.token });
    if (res.ok || res.status === 404) {
      setFlash(
        cookies,
        res.ok
          ? `“${plan?.name ?? 'The plan'}” was deleted; clients on it stopped getting its steps.`
          : 'This plan was not found — it may have been deleted already. Nothing was changed.',
      );
      redirect(303, '/plans');
    }
    return fail(res.status, { form: 'delete', ok: false, message: res.problem.detail ?? res.problem.title });
  },
};
