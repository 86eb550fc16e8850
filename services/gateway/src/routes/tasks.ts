import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Task as TaskT } from '@realtoros/contracts';
import {
  Page,
  PageQuery,
  ProblemDetails,
  Task,
  TaskCreateBody,
  TaskListQuery,
  TaskPatchBody,
  TaskStatus,
  Timestamp,
  Uuid,
} from '@realtoros/contracts';
import { getClient, getTask, listTasks } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { seqEtag, setEtag, withIfMatch, writeHeaders } from '../plugins/etag.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 412: ProblemDetails, 422: ProblemDetails };
const ETAG = 'Answers carry `ETag: "<version>"`; send it back in `If-Match` on PATCH to refuse a stale write (412).';
const ClientTaskQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(TaskStatus), due_before: Type.Optional(Timestamp), due_after: Type.Optional(Timestamp) },
  { additionalProperties: false },
);

/**
 * Follow-up task endpoints. Writes become scheduler commands (the scheduler rules on
 * transitions: an illegal one answers 409); reads come from the `tasks` read model through
 * the shared queries (tenancy filter included: another agent's task is 404). Single tasks
 * carry an ETag; writes accept Idempotency-Key and, PATCH, If-Match (plugins/etag.ts).
 */
export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['tasks'], security: [{ bearer: [] }] };

  app.get('/api/tasks', { schema: { ...common, querystring: TaskListQuery, response: { 200: Page(Task), ...errors } } }, async (req) =>
    listTasks(app.deps.db, agentOf(req).id, req.query),
  );

  app.post(
    '/api/tasks',
    {
      schema: {
        ...common,
        description: ETAG,
        headers: writeHeaders({ ifMatch: false }),
        body: TaskCreateBody,
        response: { 201: Task, ...writeErrors },
      },
    },
    async (req, reply) => {
      const created = await execute<'scheduler', 'create_task', TaskT>(app, req, 'scheduler', 'create_task', req.body);
      const task = await getTask(app.deps.db, agentOf(req).id, created.id);
      setEtag(reply, seqEtag(task?.aggregate_seq));
      return reply.code(201).send(task ?? created);
    },
  );

  app.get(
    '/api/tasks/:id',
    { schema: { ...common, description: ETAG, params: IdParams, response: { 200: Task, ...errors } } },
    async (req, reply) => {
      const task = await getTask(app.deps.db, agentOf(req).id, req.params.id);
      if (!task) throw notFound('task');
      setEtag(reply, seqEtag(task.aggregate_seq));
      return task;
    },
  );

  app.patch(
    '/api/tasks/:id',
    {
      schema: {
        ...common,
        description: ETAG,
        headers: writeHeaders({ ifMatch: true }),
        params: IdParams,
        body: TaskPatchBody,
        response: { 200: Task, ...writeErrors },
      },
    },
    async (req, reply) => {
      const updated = await withIfMatch(req, (expectedSeq) =>
        execute<'scheduler', 'update_task', TaskT>(
          app,
          req,
          'scheduler',
          'update_task',
          { task_id: req.params.id, ...req.body },
          { expectedSeq },
        ),
      );
      const task = await getTask(app.deps.db, agentOf(req).id, req.params.id);
      setEtag(reply, seqEtag(task?.aggregate_seq));
      return task ?? updated;
    },
  );

  app.get(
    '/api/clients/:id/tasks',
    { schema: { ...common, params: IdParams, querystring: ClientTaskQuery, response: { 200: Page(Task), ...errors } } },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      return listTasks(app.deps.db, agentId, { ...req.query, client_id: req.params.id });
    },
  );
};
