import { fail } from '@sveltejs/kit';
import { tooManyAttempts } from '#lib/server/auth.ts';
import { getDb } from '#lib/server/db.ts';
import { failWithProblem, problemToForm } from '#lib/server/forms.ts';
import { clientAddress, gateway } from '#lib/server/gateway.ts';
import { getSettings, listAudit } from '#lib/server/queries.ts';
import type { Actions, PageServerLoad } from './$types';
import { holidayLines, readSettingsForm, SETTINGS_FIELDS, settingsBody } from './settings-form.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const [settings, audit] = await Promise.all([
    getSettings(getDb(), locals.agent!.id),
    listAudit(getDb(), locals.agent!.id, { page: 1, limit: 20 }),
  ]);
  return { settings, audit: { entries: audit.items, total: audit.total } };
};

export const actions: Actions = {
  rename: async ({ request, locals }) => {
    const raw = (await request.formData()).get('name');
    const name = typeof raw === 'string' ? raw.trim() : '';
    const res = await gateway('PATCH', '/api/auth/me', { token: locals.token, body: { name } });
    if (!res.ok) {
      const detail = res.problem.errors?.find((e) => e.pointer === '/name')?.detail ?? res.problem.detail ?? res.problem.title;
      return fail(res.status, { form: 'rename', error: `The name was not saved: ${detail}`, name });
    }
    // Said in a toast: the live refresh the rename itself announces clears `form` at once.
    return { form: 'rename', ok: true, message: 'Name saved.', name };
  },
  save: async ({ request, locals }) => {
    const values = readSettingsForm(await request.formData());
    const res = await gateway('PATCH', '/api/settings', { token: locals.token, body: settingsBody(values) });
    if (!res.ok) {
      // "/holidays/2" names a line of the box: say which one.
      const lines = holidayLines(values.holidays);
      for (const e of res.problem.errors ?? []) {
        const m = /^\/holidays\/(\d+)$/.exec(e.pointer);
        if (m) e.detail = `line ${Number(m[1]) + 1} (“${lines[Number(m[1])] ?? ''}”): ${e.detail}`;
      }
      return failWithProblem(res.problem, {
        fields: SETTINGS_FIELDS,
        values: { ...values, business_days: values.business_days.join(','), review_by_default: values.review_by_default ? 'on' : '' },
        form: 'settings',
      });
    }
    return { ok: true, form: 'settings', message: 'Settings saved.' };
  },
  /**
   * POST /api/auth/password. The gateway ends every other session of the agent; this one
   * stays. Passwords are never sent back to the page. Failures carry no `ok`, so they show
   * in the form only (the layout toasts answers that have one).
   */
  password: async (event) => {
    const data = await event.request.formData();
    const field = (k: string) => {
      const v = data.get(k);
      return typeof v === 'string' ? v : '';
    };
    const current = field('current_password');
    const next = field('new_password');
    const confirm = field('confirm_password');
    const errors: Record<string, string> = {};
    if (!current) errors.current_password = 'Enter your current password';
    if (next.length < 8) errors.new_password = 'Use at least 8 characters';
    else if (next.length > 200) errors.new_password = 'Use at most 200 characters';
    if (!errors.new_password && confirm !== next) errors.confirm_password = 'The two new passwords don’t match';
    if (Object.keys(errors).length) return fail(400, { form: 'password', errors, message: null });

    const res = await gateway<{ ended_sessions: number }>('POST', '/api/auth/password', {
      token: event.locals.token,
      body: { current_password: current, new_password: next },
      clientIp: clientAddress(event),
    });
    if (!res.ok) {
      if (res.status === 429) return fail(429, { form: 'password', errors: {}, message: tooManyAttempts(res) });
      if (res.status === 403) {
        return fail(403, { form: 'password', errors: { current_password: 'That isn’t your current password' }, message: null });
      }
      return fail(res.status, { form: 'password', ...problemToForm(res.problem, PASSWORD_FIELDS) });
    }
    return { form: 'password', ok: true, message: 'Password changed. Other devices were signed out.' };
  },
};

const PASSWORD_FIELDS = ['current_password', 'new_password'] as const;
