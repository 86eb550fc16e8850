import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditListQuery, AuditPage, ProblemDetails } from '@realtoros/contracts';
import { listAudit } from '@realtoros/queries';
import { agentOf, requireAgent } from '../plugins/auth.ts';

/** GET /api/audit (issue 13): the agent's own audit log. Append only: no route changes or deletes an entry. */
export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['auth'],
        summary: "The agent's audit log",
        description:
          'Log-ins (and failed ones), log-outs, password changes, exports, imports, settings, name and plan changes — when, from which IP and user agent; newest first. Ids, counts and field names only.',
        security: [{ bearer: [] }],
        querystring: AuditListQuery,
        response: { 200: AuditPage, 400: ProblemDetails, 401: ProblemDetails, 503: ProblemDetails },
      },
    },
    async (req) => listAudit(app.deps.db, agentOf(req).id, req.query),
  );
};
