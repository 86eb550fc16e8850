import { error, json } from '@sveltejs/kit';
import { UUID_RE } from '#lib/server/task-actions.ts';
import { readTrail } from '#lib/server/trail.ts';
import type { RequestHandler } from './$types';

/** The trail of one task as JSON, for the "Why" of a task row (the task page renders the same without JavaScript). */
export const GET: RequestHandler = async ({ params, locals }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This follow-up does not exist.');
  const trail = await readTrail('tasks', params.id, locals.token);
  // A trail that can't be read is said in the row (as a sentence), not a failed request.
  return json(trail, { headers: { 'cache-control': 'private, no-store' } });
};
