import { error } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { getTask } from '#lib/server/queries.ts';
import { taskActions, UUID_RE } from '#lib/server/task-actions.ts';
import { readTrail } from '#lib/server/trail.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This follow-up does not exist.');
  const [task, trail] = await Promise.all([getTask(getDb(), locals.agent!.id, params.id), readTrail('tasks', params.id, locals.token)]);
  if (!task) error(404, 'This follow-up does not exist.');
  return { now: new Date().toISOString(), task, trail };
};

export const actions: Actions = { ...taskActions };
