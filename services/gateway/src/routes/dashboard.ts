import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CLIENT_STAGES, ProblemDetails } from '@realtoros/contracts';
import { dashboardStats } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { agentOf, requireAgent } from '../plugins/auth.ts';

const Count = Type.Integer({ minimum: 0 });
export const DashboardStats = Type.Object({
  clients_total: Count,
  clients_by_stage: Type.Object(Object.fromEntries(CLIENT_STAGES.map((s) => [s, Count]))),
  tasks: Type.Object({ pending: Count, due_today: Count, overdue: Count, completed: Count, failed: Count }),
  /** Pending steps held back now, by why (issue 8): the daily cap, a paused enrolment. */
  held: Type.Object({ daily_cap: Count, paused: Count }),
  emails: Type.Object({
    sent: Count,
    failed: Count,
    delivered: Count,
    opened: Count,
    clicked: Count,
    bounced: Count,
    sent_this_week: Count,
  }),
  open_rate: Type.Number({ minimum: 0, maximum: 1 }),
  click_rate: Type.Number({ minimum: 0, maximum: 1 }),
  daily: Type.Array(Type.Object({ date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), sent: Count, opened: Count, clicked: Count })),
});

/** KPIs for the signed-in agent, computed from the read models at request time (UTC days). */
export const dashboardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  app.get(
    '/api/dashboard/stats',
    {
      schema: { tags: ['dashboard'], security: [{ bearer: [] }], response: { 200: DashboardStats, 401: ProblemDetails } },
    },
    async (req) => dashboardStats(app.deps.db, agentOf(req).id, new Date()),
  );
};
