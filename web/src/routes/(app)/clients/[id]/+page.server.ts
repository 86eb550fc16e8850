import { error, fail, redirect } from '@sveltejs/kit';
import { zonedToUtc } from '#lib/format.ts';
import { CLIENT_FIELDS, clientBody } from '#lib/server/client-form.ts';
import { getDb } from '#lib/server/db.ts';
import { emailActions } from '#lib/server/email-actions.ts';
import { failWithProblem, textFields } from '#lib/server/forms.ts';
import { gateway } from '#lib/server/gateway.ts';
import { clientConversation, clientTimeline, getClient, listEmails, listPlans, listTasks } from '#lib/server/queries.ts';
import { setFlash, timeZoneOf } from '#lib/server/session.ts';
import { taskActions, UUID_RE } from '#lib/server/task-actions.ts';
import { CLIENT_STAGES, isOneOf, PRIORITIES } from '#lib/vocab.ts';
import type { Actions, PageServerLoad } from './$types';

const ENROLLMENT_ACTIONS = ['pause', 'resume', 'end'] as const;
const ENROLLMENT_DONE: Record<(typeof ENROLLMENT_ACTIONS)[number], string> = {
  pause: 'Plan paused — its steps wait until you resume it.',
  resume: 'Plan resumed — the remaining steps move on by the time it was paused.',
  end: 'Plan ended — its pending steps are cancelled.',
};

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This client does not exist.');
  const db = getDb();
  const agentId = locals.agent!.id;
  const client = await getClient(db, agentId, params.id);
  if (!client) error(404, 'This client does not exist or was deleted.');
  const [tasks, emails, timeline, plans, conversation] = await Promise.all([
    listTasks(db, agentId, { page: 1, limit: 100, client_id: client.id }),
    listEmails(db, agentId, { page: 1, limit: 50, client_id: client.id }),
    clientTimeline(db, agentId, client.id),
    listPlans(db, agentId),
    clientConversation(db, agentId, client.id, 100),
  ]);
  return {
    now: new Date().toISOString(),
    client,
    tasks: tasks.items,
    emails: emails.items,
    timeline,
    conversation,
    plans: plans.map((p) => ({ id: p.id, name: p.name, version: p.version, is_default: p.is_default })),
  };
};

export const actions: Actions = {
  ...taskActions,
  ...emailActions,

  /** A call, meeting, text or note; "stop automated follow-ups" ends the plan (reason conversation). */
  logActivity: async ({ request, locals, params }) => {
    const data = await request.formData();
    const kind = String(data.get('kind') ?? 'note');
    const body = { kind, body: String(data.get('body') ?? '').trim(), stop_followups: data.get('stop_followups') === 'on' };
    const res = await gateway('POST', `/api/clients/${params.id}/activities`, { token: locals.token, body });
    if (!res.ok) {
      const first = res.problem.errors?.[0]?.detail;
      return fail(res.status, { ok: false, form: 'activity', message: first ? `Activity: ${first}` : (res.problem.detail ?? res.problem.title) });
    }
    return { ok: true, form: 'activity', message: body.stop_followups ? 'Logged — automated follow-ups stopped.' : 'Activity logged.' };
  },

  update: async ({ request, locals, params }) => {
    const { body, values } = clientBody(await request.formData(), 'update');
    const res = await gateway('PATCH', `/api/clients/${params.id}`, { token: locals.token, body });
    if (!res.ok) {
      if (res.status === 409 && !res.problem.errors?.length) {
        res.problem.errors = [{ pointer: '/email', detail: res.problem.detail ?? 'You already have a client with this email' }];
      }
      return failWithProblem(res.problem, { fields: CLIENT_FIELDS, values, form: 'profile' });
    }
    return { ok: true, form: 'profile', message: 'Profile saved.' };
  },

  stage: async ({ request, locals, params }) => {
    const stage = String((await request.formData()).get('stage') ?? '');
    if (!isOneOf(CLIENT_STAGES, stage)) return fail(400, { ok: false, form: 'stage', message: 'Choose a stage.' });
    const res = await gateway('PATCH', `/api/clients/${params.id}`, { token: locals.token, body: { stage } });
    if (!res.ok) return fail(res.status, { ok: false, form: 'stage', message: res.problem.detail ?? res.problem.title });
    return { ok: true, form: 'stage', message: 'Stage updated.' };
  },

  enroll: async ({ request, locals, params }) => {
    const planId = String((await request.formData()).get('plan_id') ?? '');
    if (!UUID_RE.test(planId)) return fail(400, { ok: false, form: 'enroll', message: 'Choose a plan.' });
    const res = await gateway('POST', `/api/clients/${params.id}/enrollment`, { token: locals.token, body: { plan_id: planId } });
    if (!res.ok)
      return fail(res.status, {
        ok: false,
        form: 'enroll',
        message: res.problem.errors?.[0]?.detail ?? res.problem.detail ?? res.problem.title,
      });
    return { ok: true, form: 'enroll', message: 'Enrolled — the plan’s steps are being planned.' };
  },

  enrollment: async ({ request, locals, params }) => {
    const action = String((await request.formData()).get('action') ?? '');
    if (!isOneOf(ENROLLMENT_ACTIONS, action)) return fail(400, { ok: false, form: 'enrollment', message: 'Choose pause, resume or end.' });
    const res = await gateway('PATCH', `/api/clients/${params.id}/enrollment`, { token: locals.token, body: { action } });
    if (!res.ok) return fail(res.status, { ok: false, form: 'enrollment', message: res.problem.detail ?? res.problem.title });
    return { ok: true, form: 'enrollment', message: ENROLLMENT_DONE[action] };
  },

  addTask: async ({ request, locals, params, cookies }) => {
    const data = await request.formData();
    const v = textFields(data, ['scheduled_for', 'priority', 'notes']);
    const when = zonedToUtc(v.scheduled_for, timeZoneOf(cookies));
    if (!when) {
      return fail(400, { form: 'addTask', message: null, errors: { scheduled_for: 'Pick a date and time' }, values: v });
    }
    const body: Record<string, unknown> = { client_id: params.id, followup_type: 'Custom', scheduled_for: when.toISOString() };
    if (isOneOf(PRIORITIES, v.priority)) body.priority = v.priority;
    if (v.notes) body.notes = v.notes;
    const res = await gateway('POST', '/api/tasks', { token: locals.token, body });
    if (!res.ok) return failWithProblem(res.problem, { fields: ['scheduled_for', 'priority', 'notes'], values: v, form: 'addTask' });
    return { ok: true, form: 'addTask', message: 'Follow-up added.' };
  },

  delete: async ({ locals, params, cookies }) => {
    // The name is only for the message: a read-model hiccup must not stop the delete.
    const client = await getClient(getDb(), locals.agent!.id, params.id).catch(() => undefined);
    const res = await gateway('DELETE', `/api/clients/${params.id}`, { token: locals.token });
    if (res.ok) {
      setFlash(cookies, `${client?.name ?? 'The client'} was deleted and their pending follow-ups cancelled.`);
      redirect(303, '/clients');
    }
    if (res.status === 404) {
      // Say what happened: nothing was deleted now (it was gone already, or never this agent's).
      setFlash(cookies, `${client?.name ?? 'This client'} was not found — it may have been deleted already. Nothing was changed.`);
      redirect(303, '/clients');
    }
    return fail(res.status, { ok: false, form: 'delete', message: res.problem.detail ?? res.problem.title });
  },
};
