import { error } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { emailActions } from '#lib/server/email-actions.ts';
import { getEmail } from '#lib/server/queries.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import { readTrail } from '#lib/server/trail.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This email does not exist.');
  const [email, trail] = await Promise.all([getEmail(getDb(), locals.agent!.id, params.id), readTrail('emails', params.id, locals.token)]);
  if (!email) error(404, 'This email does not exist.');
  return { now: new Date().toISOString(), email, trail };
};

export const actions: Actions = { ...emailActions };
