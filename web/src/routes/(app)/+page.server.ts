import { getDb } from '#lib/server/db.ts';
import { emailActions } from '#lib/server/email-actions.ts';
import { dashboardStats, getSettings, listEmails, upcomingTasks } from '#lib/server/queries.ts';
import { taskActions } from '#lib/server/task-actions.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  const agentId = locals.agent!.id;
  const db = getDb();
  const now = new Date();
  const [stats, upcoming, recent, settings] = await Promise.all([
    dashboardStats(db, agentId, now),
    upcomingTasks(db, agentId, now, 7, 50),
    listEmails(db, agentId, { page: 1, limit: 5 }),
    getSettings(db, agentId),
  ]);
  return { now: now.toISOString(), stats, upcoming, recent: recent.items, dailyCap: settings.daily_cap };
};

export const actions: Actions = { ...taskActions, ...emailActions };
