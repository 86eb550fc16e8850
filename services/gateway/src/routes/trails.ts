import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemDetails, Trail, Uuid } from '@realtoros/contracts';
import { emailTrail, taskTrail } from '@realtoros/planning';
import { emailTrailEvents, getClient, getEmail, getSettings, getTask, taskEvents } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 503: ProblemDetails };
const TRAIL =
  'The decision trail, oldest first: one item per decision (planned, moved by the sending window, held by the daily cap, ' +
  'cancelled and why…) in plain words, read from the events. Times are in the zone the decision was made in.';

/** The zone a trail's times fall back to: the client's own, else the agent's. */
async function fallbackZone(app: FastifyInstance, agentId: string, clientId: string): Promise<string> {
  const client = await getClient(app.deps.db, agentId, clientId);
  if (client?.time_zone) return client.time_zone;
  return (await getSettings(app.deps.db, agentId)).time_zone;
}

/**
 * Decision trails for a task and an email: the events come from the read models' event log
 * (libs/queries), the sentences from libs/planning (the web app shows the same ones). Another
 * agent's task or email is 404.
 */
export const trailRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { security: [{ bearer: [] }] };

  app.get(
    '/api/tasks/:id/trail',
    { schema: { ...common, tags: ['tasks'], description: TRAIL, params: IdParams, response: { 200: Trail, ...errors } } },
    async (req) => {
      const agentId = agentOf(req).id;
      const task = await getTask(app.deps.db, agentId, req.params.id);
      if (!task) throw notFound('task');
      const [events, zone] = await Promise.all([taskEvents(app.deps.db, agentId, task.id), fallbackZone(app, agentId, task.client_id)]);
      return { items: taskTrail(events, { zone }) };
    },
  );

  app.get(
    '/api/emails/:id/trail',
    {
      schema: {
        ...common,
        tags: ['emails'],
        description: `${TRAIL} An email's trail starts with its task's decisions, when it has a task.`,
        params: IdParams,
        response: { 200: Trail, ...errors },
      },
    },
    async (req) => {
      const agentId = agentOf(req).id;
      const email = await getEmail(app.deps.db, agentId, req.params.id);
      if (!email) throw notFound('email');
      const [events, zone] = await Promise.all([
        emailTrailEvents(app.deps.db, agentId, email.id),
        fallbackZone(app, agentId, email.client_id),
      ]);
      return { items: emailTrail(events.task, events.email, { zone }) };
    },
  );
};
