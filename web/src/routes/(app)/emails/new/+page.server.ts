import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { failWithProblem, textFields } from '#lib/server/forms.ts';
import { gateway } from '#lib/server/gateway.ts';
import { getClient, listClients, listTemplates } from '#lib/server/queries.ts';
import { setFlash } from '#lib/server/session.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import { FOLLOWUP_TYPES, isOneOf } from '#lib/vocab.ts';
import type { Actions, PageServerLoad } from './$types';

const FIELDS = ['client_id', 'followup_type', 'agent_instructions', 'subject', 'body', 'template_id', 'template_use'] as const;

export const load: PageServerLoad = async ({ locals, url }) => {
  const db = getDb();
  const agentId = locals.agent!.id;
  const wanted = url.searchParams.get('client_id') ?? '';
  const [clients, selected, templates] = await Promise.all([
    listClients(db, agentId, { page: 1, limit: 100, sort: 'name' }),
    UUID_RE.test(wanted) ? getClient(db, agentId, wanted) : Promise.resolve(undefined),
    listTemplates(db, agentId),
  ]);
  const options = clients.items.map((c) => ({ id: c.id, name: c.name, email: c.email, unsubscribed: c.unsubscribed }));
  if (selected && !options.some((o) => o.id === selected.id)) {
    options.unshift({ id: selected.id, name: selected.name, email: selected.email, unsubscribed: selected.unsubscribed });
  }
  return { clients: options, selected: selected?.id ?? '', templates: templates.map((t) => ({ id: t.id, name: t.name })) };
};

export const actions: Actions = {
  /** Step 1: the AI writes a draft (nothing is sent). */
  preview: async ({ request, locals }) => {
    const values = textFields(await request.formData(), FIELDS);
    const errors: Record<string, string> = {};
    if (!UUID_RE.test(values.client_id)) errors.client_id = 'Choose a client';
    if (!isOneOf(FOLLOWUP_TYPES, values.followup_type)) errors.followup_type = 'Choose the kind of follow-up';
    if (Object.keys(errors).length) return fail(400, { step: 'preview', message: null, errors, values });
    const body: Record<string, unknown> = { client_id: values.client_id, followup_type: values.followup_type };
    if (values.agent_instructions) body.agent_instructions = values.agent_instructions;
    // One of the agent's templates (issue 10): filled in as is, or the AI's starting point.
    if (values.template_id) {
      body.template_id = values.template_id;
      body.template_use = values.template_use === 'ai_base' ? 'ai_base' : 'as_is';
    }
    const res = await gateway<{ subject: string; body: string }>('POST', '/api/emails/preview', {
      token: locals.token,
      body,
      timeoutMs: 90_000,
    });
    if (!res.ok) return failWithProblem(res.problem, { fields: FIELDS, values, form: 'preview' });
    return { step: 'draft', ok: true, message: null, values: { ...values, subject: res.data.subject, body: res.data.body } };
  },

  /** Step 2: send the (possibly edited) draft now. */
  send: async ({ request, locals, cookies }) => {
    const values = textFields(await request.formData(), FIELDS);
    const errors: Record<string, string> = {};
    if (!UUID_RE.test(values.client_id)) errors.client_id = 'Choose a client';
    if (!values.subject) errors.subject = 'Add a subject';
    if (!values.body) errors.body = 'The email needs a body';
    if (Object.keys(errors).length) return fail(400, { step: 'draft', message: null, errors, values });
    const res = await gateway('POST', '/api/emails/send', {
      token: locals.token,
      body: { client_id: values.client_id, subject: values.subject, body: values.body },
      timeoutMs: 30_000,
    });
    if (!res.ok) {
      const failed = failWithProblem(res.problem, { fields: FIELDS, values, form: 'send' });
      return fail(failed.status, { ...failed.data, step: 'draft' });
    }
    const client = await getClient(getDb(), locals.agent!.id, values.client_id);
    setFlash(cookies, `Your email to ${client?.name ?? 'the client'} is on its way.`);
    redirect(303, `/emails?client_id=${values.client_id}`);
  },
};
