import { Type } from '@sinclair/typebox';
import {
  Client, ClientCreateBody, ClientListQuery, ClientPatchBody, Page, ProblemDetails, TimelineEntry, Uuid,
} from '@realtoros/contracts';
import type { Client as ClientT } from '@realtoros/contracts';
import { clientTimeline, getClient, listClients } from '@realtoros/queries';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };

/**
 * Client endpoints. Writes become crm commands; reads come from the read models through the
 * shared query module (tenancy filter included). Routes only translate; rules live in crm.
 */
export const clientRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['clients'], security: [{ bearer: [] }] };

  app.post('/api/clients', { schema: { ...common, body: ClientCreateBody, response: { 201: Client, ...errors } } }, async (req, reply) => {
    const created = await execute<'crm', 'create_client', ClientT>(app, req, 'crm', 'create_client', req.body);
    const client = await getClient(app.deps.db, agentOf(req).id, created.id);
    return reply.code(201).send(client ?? created);
  });

  app.get('/api/clients', { schema: { ...common, querystring: ClientListQuery, response: { 200: Page(Client), ...errors } } }, async (req) =>
    listClients(app.deps.db, agentOf(req).id, req.query),
  );

  app.get('/api/clients/:id', { schema: { ...common, params: IdParams, response: { 200: Client, ...errors } } }, async (req) => {
    const client = await getClient(app.deps.db, agentOf(req).id, req.params.id);
    if (!client) throw notFound('client');
    return client;
  });

  app.patch('/api/clients/:id', { schema: { ...common, params: IdParams, body: ClientPatchBody, response: { 200: Client, ...errors } } }, async (req) => {
    const updated = await execute<'crm', 'update_client', ClientT>(app, req, 'crm', 'update_client', { client_id: req.params.id, changes: req.body });
    return (await getClient(app.deps.db, agentOf(req).id, req.params.id)) ?? updated;
  });

  app.delete('/api/clients/:id', { schema: { ...common, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (req, reply) => {
    await execute(app, req, 'crm', 'delete_client', { client_id: req.params.id });
    return reply.code(204).send(null);
  });

  app.get('/api/clients/:id/events', { schema: { ...common, params: IdParams, response: { 200: Type.Object({ items: Type.Array(TimelineEntry) }), ...errors } } }, async (req) => {
    const agentId = agentOf(req).id;
    if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
    return { items: await clientTimeline(app.deps.db, agentId, req.params.id) };
  });
};
