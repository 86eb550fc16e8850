import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  EmailListQuery,
  EmailLog,
  EmailPreviewBody,
  EmailResolveBody,
  EmailSendBody,
  EmailStatus,
  GeneratedEmail,
  Page,
  PageQuery,
  ProblemDetails,
  Uuid,
} from '@realtoros/contracts';
import { getClient, getEmail, listEmails } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import { answerCommittedWrite, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { setEtag, weakEtag, writeHeaders } from '../plugins/etag.ts';

const IdParams = Type.Object({ id: Uuid });
const ClientEmailsQuery = Type.Object({ ...PageQuery, status: Type.Optional(EmailStatus) }, { additionalProperties: false });
const SendAccepted = Type.Object({ email_id: Uuid, status: Type.Literal('generated') });
const errors = { 400: ProblemDetails, 401: ProblemDetails, 404: ProblemDetails, 409: ProblemDetails, 503: ProblemDetails };
const writeErrors = { ...errors, 422: ProblemDetails };
const headers = writeHeaders({ ifMatch: false });
/** Writing an email may wait on the AI provider (with its retries): longer than a CRUD command. */
export const AI_TIMEOUT_MS = 60_000;

/**
 * Emails: history from the `email_logs` read model; preview and manual send become ai-agent
 * commands (the ai-agent writes, the mailer sends); the agent's decision about an email whose
 * send outcome is unknown is a mailer command. Routes only translate.
 */
export const emailRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);
  const common = { tags: ['emails'], security: [{ bearer: [] }] };

  app.get(
    '/api/emails',
    { schema: { ...common, querystring: EmailListQuery, response: { 200: Page(EmailLog), ...errors } } },
    async (req) => listEmails(app.deps.db, agentOf(req).id, req.query),
  );

  app.get(
    '/api/emails/:id',
    {
      schema: {
        ...common,
        description: 'Carries a weak ETag of the email as shown.',
        params: IdParams,
        response: { 200: EmailLog, ...errors },
      },
    },
    async (req, reply) => {
      const email = await getEmail(app.deps.db, agentOf(req).id, req.params.id);
      if (!email) throw notFound('email');
      setEtag(reply, weakEtag(email));
      return email;
    },
  );

  app.get(
    '/api/clients/:id/emails',
    {
      schema: {
        ...common,
        tags: ['clients', 'emails'],
        params: IdParams,
        querystring: ClientEmailsQuery,
        response: { 200: Page(EmailLog), ...errors },
      },
    },
    async (req) => {
      const agentId = agentOf(req).id;
      if (!(await getClient(app.deps.db, agentId, req.params.id))) throw notFound('client');
      return listEmails(app.deps.db, agentId, { ...req.query, client_id: req.params.id });
    },
  );

  app.post(
    '/api/emails/preview',
    { schema: { ...common, headers, body: EmailPreviewBody, response: { 200: GeneratedEmail, ...writeErrors } } },
    async (req) =>
      execute<'ai', 'preview', { subject: string; body: string }>(app, req, 'ai', 'preview', req.body, { timeoutMs: AI_TIMEOUT_MS }),
  );

  app.post(
    '/api/emails/send',
    { schema: { ...common, headers, body: EmailSendBody, response: { 202: SendAccepted, ...writeErrors } } },
    async (req, reply) => {
      const accepted = await execute<'ai', 'send_now', { email_id: string; status: 'generated' }>(app, req, 'ai', 'send_now', req.body, {
        timeoutMs: AI_TIMEOUT_MS,
      });
      return reply.code(202).send(accepted);
    },
  );

  app.post(
    '/api/emails/:id/resolve',
    {
      schema: {
        ...common,
        headers,
        params: IdParams,
        body: EmailResolveBody,
        response: { 202: EmailLog, ...writeErrors },
        description:
          "Decide about an email whose send outcome is `unknown`: `resend` sends it again, `mark_sent` records it as sent (the agent saw it arrive). 409 unless the email's status is `unknown`.",
      },
    },
    async (req, reply) => {
      await execute<'mailer', 'resolve_unknown', { email_id: string; status: string }>(app, req, 'mailer', 'resolve_unknown', {
        email_id: req.params.id,
        action: req.body.action,
      });
      const email = await getEmail(app.deps.db, agentOf(req).id, req.params.id);
      if (!email) return answerCommittedWrite(req, reply);
      setEtag(reply, weakEtag(email));
      return reply.code(202).send(email);
    },
  );
};
