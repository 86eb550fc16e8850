import { fail } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { failWithProblem } from '#lib/server/forms.ts';
import { gateway } from '#lib/server/gateway.ts';
import { getSettings } from '#lib/server/queries.ts';
import type { Actions, PageServerLoad } from './$types';
import { holidayLines, readSettingsForm, SETTINGS_FIELDS, settingsBody } from './settings-form.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const settings = await getSettings(getDb(), locals.agent!.id);
  return { settings };
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
};
