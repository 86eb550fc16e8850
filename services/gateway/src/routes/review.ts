import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Activity,
  ActivityBody,
  ApproveBody,
  Conversation,
  EmailLog,
  ProblemDetails,
  RegenerateBody,
  RejectBody,
  ReviewQueue,
  Uuid,
} from '@realtoros/contracts';
import { clientActivities, clientConversation, getClient, getEmail, reviewQueue } from '@realtoros/queries';
import { type Static, Type } from '@sinclair/typebox';
import { answerCommittedWrite, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { setEtag, weakEtag, writeHeaders } from '../plugins/etag.ts';
import { AI_TIMEOUT_MS } from './emails.ts';

const IdParams = Type.Object({ id: Uuid });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 422: ProblemDetails };
const headers = writeHeaders({ ifMatch: false });
const RegenerateAnswer = Type.Object({ email_id: Uuid, status: Type.Literal('awaiting_approval'), subject: Type.String(), body: Type.String() });

/**
 * Review before sending, a client's conversation, and activities (issue 9). The decisions are
 * ai-agent and crm commands; the routes translate, then answer with the read model once the
 * write is projected (read your writes).
 */
export const reviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['review'], security: [{ bearer: [] }] };

  app.get(
    '/api/review',
    { schema: { ...common, summary: 'Drafts waiting for the agent, oldest first', response: { 200: ReviewQueue, ...errors } } },
    async (req) => reviewQueue(app.deps.db, agentOf(req).id),
  );

  /** The email as it now stands, or the committed-write answer when the read model cannot say yet. */
  const emailAfterWrite = async (req: Parameters<typeof answerCommittedWrite>[0], reply: Parameters<typeof answerCommittedWrite>[1], id: string) => {
    const email = await getEmail(app.deps.db, agentOf(req).id, id);
    if (!email) return answerCommittedWrite(req, reply);
    setEtag(reply, weakEtag(email));
    return reply.send(email);
  };

  app.post(
    '/api/emails/:id/approve',
    {
      schema: {
        ...common,
        summary: 'Approve a draft (with your own subject/body if given): it is sent once',
        description: '409 when the draft no longer waits, or its client replied, unsubscribed, bounced, left the plan or was marked lost/closed meanwhile (the detail says which).',
        headers,
        params: IdParams,
        body: ApproveBody,
        response: { 200: EmailLog, ...writeErrors },
      },
    },
    async (req, reply) => {
      await execute(app, req, 'ai', 'approve', { email_id: req.params.id, ...req.body });
      return emailAfterWrite(req, reply, req.params.id);
    },
  );

  app.post(
    '/api/emails/:id/reject',
    {
      schema: {
        ...common,
        summary: 'Reject a draft: nothing is sent and its plan step is skipped',
        headers,
        params: IdParams,
        body: RejectBody,
        response: { 200: EmailLog, ...writeErrors },
      },
    },
    async (req, reply) => {
      await execute(app, req, 'ai', 'reject', { email_id: req.params.id, ...req.body });
      return emailAfterWrite(req, reply, req.params.id);
    },
  );

  app.post(
    '/api/emails/:id/regenerate',
    {
      schema: {
        ...common,
        summary: 'Write the draft again with extra instructions (it keeps waiting)',
        headers,
        params: IdParams,
        body: RegenerateBody,
        response: { 200: RegenerateAnswer, ...writeErrors },
      },
    },
    async (req) =>
      execute<'ai', 'regenerate', Static<typeof RegenerateAnswer>>(app, req, 'ai', 'regenerate', { email_id: req.params.id, ...req.body }, {
        timeoutMs: AI_TIMEOUT_MS,
      }),
  );

  app.get(
    '/api/clients/:id/conversation',
    {
      schema: {
        ...common,
        tags: ['clients'],
        summary: 'Emails sent to the client and its replies, one thread, oldest first',
        params: IdParams,
        response: { 200: Conversation, ...errors },
      },
    },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      return { items: await clientConversation(app.deps.db, agentId, req.params.id) };
    },
  );

  app.get(
    '/api/clients/:id/activities',
    { schema: { ...common, tags: ['clients'], params: IdParams, response: { 200: Type.Object({ items: Type.Array(Activity) }), ...errors } } },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      return { items: await clientActivities(app.deps.db, agentId, req.params.id) };
    },
  );

  app.post(
    '/api/clients/:id/activities',
    {
      schema: {
        ...common,
        tags: ['clients'],
        summary: 'Log a call, meeting, text or note; stop_followups ends the plan (reason conversation)',
        headers,
        params: IdParams,
        body: ActivityBody,
        response: { 201: Activity, ...writeErrors },
      },
    },
    async (req, reply) => {
      const activity = await execute<'crm', 'log_activity', Static<typeof Activity>>(app, req, 'crm', 'log_activity', {
        client_id: req.params.id,
        ...req.body,
      });
      return reply.code(201).send(activity);
    },
  );
};
