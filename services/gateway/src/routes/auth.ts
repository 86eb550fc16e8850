import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DUMMY_HASH, hashPassword, signToken, verifyPassword } from '@realtoros/auth';
import { Agent, AgentPatchBody, AuthResponse, LoginBody, ProblemDetails, SignupBody } from '@realtoros/contracts';
import { findAgentCredentials, getAgent } from '@realtoros/queries';
import { v7 as uuidv7 } from 'uuid';
import { HttpProblem, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tokenFor = (a: { id: string; email: string; name: string }) =>
    signToken(app.deps.config.JWT_SECRET, { sub: a.id, email: a.email, name: a.name });

  app.post(
    '/api/auth/signup',
    {
      schema: { tags: ['auth'], body: SignupBody, response: { 201: AuthResponse, 400: ProblemDetails, 409: ProblemDetails } },
    },
    async (req, reply) => {
      const password_hash = await hashPassword(req.body.password);
      // The new agent's id is chosen here so the command is addressed to its own tenant.
      const agent = await execute<'crm', 'register_agent', { id: string; email: string; name: string; created_at: string }>(
        app,
        req,
        'crm',
        'register_agent',
        { email: req.body.email, name: req.body.name, password_hash },
        { agentId: uuidv7() },
      );
      return reply.code(201).send({ agent, token: tokenFor(agent) });
    },
  );

  app.post(
    '/api/auth/login',
    {
      schema: { tags: ['auth'], body: LoginBody, response: { 200: AuthResponse, 400: ProblemDetails, 401: ProblemDetails } },
    },
    async (req) => {
      const found = await findAgentCredentials(app.deps.db, req.body.email);
      // Same work whether or not the email exists, so timing doesn't reveal accounts.
      const ok = await verifyPassword(req.body.password, found?.password_hash ?? DUMMY_HASH);
      if (!found || !ok) throw new HttpProblem(401, 'Unauthorized', 'Wrong email or password.');
      const agent = { id: found.id, email: found.email, name: found.name, created_at: found.created_at.toISOString() };
      return { agent, token: tokenFor(agent) };
    },
  );

  app.get(
    '/api/auth/me',
    {
      preHandler: requireAgent,
      schema: { tags: ['auth'], security: [{ bearer: [] }], response: { 200: Agent, 401: ProblemDetails } },
    },
    async (req) => {
      const agent = await getAgent(app.deps.db, agentOf(req).id);
      if (!agent) throw notFound('agent');
      return agent;
    },
  );

  app.patch(
    '/api/auth/me',
    {
      preHandler: requireAgent,
      schema: {
        tags: ['auth'],
        summary: "Change the agent's display name",
        description:
          'The name emails are sent under and the dashboard shows (AgentRenamed). The sign-in email and the password are not changed here.',
        security: [{ bearer: [] }],
        body: AgentPatchBody,
        response: { 200: Agent, 400: ProblemDetails, 401: ProblemDetails, 503: ProblemDetails },
      },
    },
    async (req) => {
      const renamed = await execute<'crm', 'rename_agent', typeof Agent.static>(app, req, 'crm', 'rename_agent', { name: req.body.name });
      return (await getAgent(app.deps.db, agentOf(req).id)) ?? renamed;
    },
  );
};
