import { getDb } from '#lib/server/db.ts';
import { listPlans } from '#lib/server/queries.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  const plans = await listPlans(getDb(), locals.agent!.id);
  return { plans };
};
