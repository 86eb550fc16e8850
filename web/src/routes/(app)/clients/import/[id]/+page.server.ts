import { error } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { getImport } from '#lib/server/queries.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import type { PageServerLoad } from './$types';

/** How long a job just started may take to reach the read model before its page is a 404. */
const ARRIVAL_MS = 3000;

/**
 * The job as the read model has it. Every `Import*` event on the agent's live channel re-runs
 * this load (the layout's LiveConnection), so the page follows the job without polling.
 * The start action redirects here as soon as the gateway accepted the job, possibly before
 * the projector has written its row: a missing job is looked for again for a moment first.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
  if (!UUID_RE.test(params.id)) error(404, 'This import does not exist.');
  const db = getDb();
  const agentId = locals.agent!.id;
  const until = Date.now() + ARRIVAL_MS;
  let job = await getImport(db, agentId, params.id);
  while (!job && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    job = await getImport(db, agentId, params.id);
  }
  if (!job) error(404, 'This import does not exist.');
  return { now: new Date().toISOString(), job };
};
