import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client as ClientT } from '@realtoros/contracts';
import {
  Client,
  ClientCreateBody,
  ClientListQuery,
  ClientPatchBody,
  Page,
  ProblemDetails,
  TimelineEntry,
  Uuid,
} from '@realtoros/contracts';
import { clientTimeline, getClient, listClients } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { seqEtag, setEtag, withIfMatch, writeHeaders } from '../plugins/etag.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 412: ProblemDetails, 422: ProblemDetails };
const ETAG = 'Answers carry `ETag: "<version>"`; send it back in `If-Match` on PATCH/DELETE to refuse a stale write (412).';

/**
 * Client endpoints. Writes become crm commands; reads come from the read models through the
 * shared query module (tenancy filter included). Routes only translate; rules live in crm.
 * Single clients carry an ETag (their aggregate's sequence, plugins/etag.ts); writes accept
 * Idempotency-Key (plugins/idempotency.ts) and, PATCH/DELETE, If-Match.
 */
export const clientRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['clients'], security: [{ bearer: [] }] };

  app.post(
    '/api/clients',
    {
      schema: {
        ...common,
        description: ETAG,
        headers: writeHeaders({ ifMatch: false }),
        body: ClientCreateBody,
        response: { 201: Client, ...writeErrors },
      },
    },
    async (req, reply) => {
      const created = await execute<'crm', 'create_client', ClientT>(app, req, 'crm', 'create_client', req.body);
      const write = req.committedWrite;
      if (write?.projected && write.position?.stream === 'CRM') {
        // The projector has committed the creation (read-your-writes holds), and crm's answer
        // is the row it wrote: the same event, nothing else has touched a client this new but
        // the scheduler's enrolment, which the next read shows. Reading the row back cost two
        // queries per creation (issue 11). Its version is the creation's sequence.
        setEtag(reply, seqEtag(write.position.seq));
        return reply.code(201).send({ ...created, enrollment: null, replied_at: null });
      }
      const client = await getClient(app.deps.db, agentOf(req).id, created.id);
      setEtag(reply, seqEtag(client?.aggregate_seq));
      return reply.code(201).send(client ?? created);
    },
  );

  app.get(
    '/api/clients',
    { schema: { ...common, querystring: ClientListQuery, response: { 200: Page(Client), ...errors } } },
    async (req) => listClients(app.deps.db, agentOf(req).id, req.query),
  );

  app.get(
    '/api/clients/:id',
    { schema: { ...common, description: ETAG, params: IdParams, response: { 200: Client, ...errors } } },
    async (req, reply) => {
      const client = await getClient(app.deps.db, agentOf(req).id, req.params.id);
      if (!client) throw notFound('client');
      setEtag(reply, seqEtag(client.aggregate_seq));
      return client;
    },
  );

  app.patch(
    '/api/clients/:id',
    {
      schema: {
        ...common,
        description: ETAG,
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        body: ClientPatchBody,
        response: { 200: Client, ...writeErrors },
      },
    },
    async (req, reply) => {
      const updated = await withIfMatch(req, (expectedSeq) =>
        execute<'crm', 'update_client', ClientT>(
          app,
          req,
          'crm',
          'update_client',
          { client_id: req.params.id, changes: req.body },
          { expectedSeq },
        ),
      );
      const client = await getClient(app.deps.db, agentOf(req).id, req.params.id);
      // The ETag of the representation sent: a row that lags the write carries its own, older version.
      setEtag(reply, seqEtag(client?.aggregate_seq));
      return client ?? updated;
    },
  );

  app.delete(
    '/api/clients/:id',
    {
      schema: { ...common, headers: writeHeaders({ ifMatch: true }), params: IdParams, response: { 204: Type.Null(), ...writeErrors } },
    },
    async (req, reply) => {
      await withIfMatch(req, (expectedSeq) => execute(app, req, 'crm', 'delete_client', { client_id: req.params.id }, { expectedSeq }));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/clients/:id/events',
    { schema: { ...common, params: IdParams, response: { 200: Type.Object({ items: Type.Array(TimelineEntry) }), ...errors } } },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      return { items: await clientTimeline(app.deps.db, agentId, req.params.id) };
    },
  );
};
