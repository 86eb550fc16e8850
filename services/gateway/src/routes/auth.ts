import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  afterFailure,
  afterSuccess,
  DUMMY_HASH,
  hashPassword,
  lockedForMs,
  needsRehash,
  signAccessToken,
  verifyPassword,
} from '@realtoros/auth';
import {
  Agent,
  AgentPatchBody,
  AuthResponse,
  LoginBody,
  LogoutBody,
  PasswordChangeBody,
  ProblemDetails,
  RefreshBody,
  SignupBody,
} from '@realtoros/contracts';
import { findAgentCredentials, getAgent } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { recordAudit } from '../audit.ts';
import { type Credential, newCredential } from '../auth/credentials.ts';
import { HttpProblem, notFound } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { execute } from '../plugins/commands.ts';
import { authRateLimit } from '../plugins/rate-limit.ts';

type AgentT = typeof Agent.static;
const WRONG = 'Wrong email or password.';
const tooMany = { 429: ProblemDetails };

/**
 * Sign-up, log-in, sessions and passwords. Credentials live in the gateway's KV bucket
 * (auth/credentials.ts), never in an event; sessions in another (auth/sessions.ts). Every
 * door is rate-limited per IP (plugins/rate-limit.ts); log-in and password change also
 * count wrong passwords per account and lock it out with back-off (libs/auth lockout.ts),
 * whatever IP the attempts come from.
 */
export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { credentials, sessions, keys } = app.auth;
  const ttl = app.deps.config.ACCESS_TOKEN_TTL_S;
  const accessToken = (a: { id: string; email: string; name: string }, sid: string) =>
    signAccessToken(keys, { sub: a.id, sid, email: a.email, name: a.name }, { ttlSeconds: ttl });

  /** A new session for the agent and its first access token. */
  async function logIn(req: FastifyRequest, agent: AgentT) {
    const { sid, refreshToken } = await sessions.open(agent.id, { ip: req.ip, userAgent: req.headers['user-agent'] ?? null });
    return { agent, token: await accessToken(agent, sid), refresh_token: refreshToken, expires_in: ttl };
  }

  /** 429 with Retry-After while the account is locked out (the password is not even looked at). */
  function refuseIfLocked(reply: FastifyReply, c: Credential, now: Date): void {
    const ms = lockedForMs(c, now);
    if (ms <= 0) return;
    const seconds = Math.ceil(ms / 1000);
    reply.header('retry-after', String(seconds));
    throw new HttpProblem(
      429,
      'Too many requests',
      `Too many wrong passwords for this account: it is locked for ${seconds} s. Try again after that.`,
    );
  }

  app.post(
    '/api/auth/signup',
    {
      config: authRateLimit(app),
      schema: {
        tags: ['auth'],
        body: SignupBody,
        response: { 201: AuthResponse, 400: ProblemDetails, 409: ProblemDetails, ...tooMany },
      },
    },
    async (req, reply) => {
      // The new agent's id is chosen here so the command is addressed to its own tenant, and
      // its credential is stored under it before the agent exists: an agent is never without one.
      const agentId = uuidv7();
      await credentials.create(agentId, newCredential(await hashPassword(req.body.password), new Date()));
      let agent: AgentT;
      try {
        agent = await execute<'crm', 'register_agent', AgentT>(
          app,
          req,
          'crm',
          'register_agent',
          { email: req.body.email, name: req.body.name },
          { agentId },
        );
      } catch (err) {
        // Refused (the email is taken): nobody is this id, drop its credential. Any other
        // failure may have registered it after all, so the credential stays.
        if (err instanceof HttpProblem && err.status < 500) await credentials.remove(agentId).catch(() => {});
        throw err;
      }
      const session = await logIn(req, agent);
      await recordAudit(app, req, agent.id, 'auth.signed_up');
      return reply.code(201).send(session);
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: authRateLimit(app),
      schema: {
        tags: ['auth'],
        body: LoginBody,
        response: { 200: AuthResponse, 400: ProblemDetails, 401: ProblemDetails, ...tooMany },
      },
    },
    async (req, reply) => {
      const now = new Date();
      const found = await findAgentCredentials(app.deps.db, req.body.email);
      const stored = found ? await credentials.get(found.id) : null;
      // An agent registered before credentials left the log: its hash is the old event's.
      const legacy = found?.password_hash ? newCredential(found.password_hash, found.created_at) : null;
      const credential = stored?.credential ?? legacy;
      if (!found || !credential) {
        // Same work whether or not the email exists, so timing doesn't reveal accounts.
        await verifyPassword(req.body.password, DUMMY_HASH);
        throw new HttpProblem(401, 'Unauthorized', WRONG);
      }
      // Audited for an existing account only: an unknown email has no agent to show it to.
      if (lockedForMs(credential, now) > 0) await recordAudit(app, req, found.id, 'auth.login_locked');
      refuseIfLocked(reply, credential, now);
      if (!(await verifyPassword(req.body.password, credential.hash))) {
        await credentials.mutate(found.id, legacy, (c) => ({ ...c, ...afterFailure(c, now) }));
        await recordAudit(app, req, found.id, 'auth.login_failed');
        throw new HttpProblem(401, 'Unauthorized', WRONG);
      }
      // Proven: an old or weaker hash is replaced by argon2id now, while we have the password.
      const rehashed = needsRehash(credential.hash) ? await hashPassword(req.body.password) : null;
      const previous = credential.failed_since_login;
      await credentials.mutate(found.id, legacy, (c) => ({
        ...c,
        ...afterSuccess(),
        // A password changed since we read it wins over our rehash of the old one.
        ...(rehashed && c.hash === credential.hash ? { hash: rehashed, changed_at: now.toISOString() } : {}),
        last_login_at: now.toISOString(),
      }));
      const agent = { id: found.id, email: found.email, name: found.name, created_at: found.created_at.toISOString() };
      const session = await logIn(req, agent);
      await recordAudit(app, req, agent.id, 'auth.logged_in');
      return { ...session, failed_attempts: previous };
    },
  );

  app.post(
    '/api/auth/refresh',
    {
      config: authRateLimit(app),
      schema: {
        tags: ['auth'],
        summary: 'A new access token for a live session',
        description: 'The session is the one the refresh token names; 401 once it has ended (log-out, password change, expiry).',
        body: RefreshBody,
        response: { 200: AuthResponse, 400: ProblemDetails, 401: ProblemDetails, ...tooMany },
      },
    },
    async (req) => {
      const session = await sessions.byRefreshToken(req.body.refresh_token);
      const agent = session ? await getAgent(app.deps.db, session.agentId) : undefined;
      if (!session || !agent) throw new HttpProblem(401, 'Unauthorized', 'This session has ended: log in again.');
      return { agent, token: await accessToken(agent, session.sid), refresh_token: req.body.refresh_token, expires_in: ttl };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End this session',
        description:
          "The session of the Bearer token, or — when the access token has expired — the one the body's `refresh_token` names. Its access and refresh tokens stop working at once, on every gateway replica and in the web app.",
        security: [{ bearer: [] }],
        body: LogoutBody,
        response: { 204: Type.Null(), 400: ProblemDetails, 401: ProblemDetails },
      },
      // The body is optional: a plain `POST` with the Bearer token and nothing else is the usual log-out.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const session = req.agent
        ? { agentId: req.agent.id, sid: req.agent.sid }
        : req.body.refresh_token
          ? await sessions.byRefreshToken(req.body.refresh_token)
          : null;
      if (!session)
        throw new HttpProblem(401, 'Unauthorized', 'No live session to end: it has ended already, or the token is not one of ours.');
      await sessions.revoke(session.agentId, session.sid);
      await recordAudit(app, req, session.agentId, 'auth.logged_out');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/auth/password',
    {
      preHandler: requireAgent,
      config: authRateLimit(app),
      schema: {
        tags: ['auth'],
        summary: 'Change the password',
        description:
          "Needs the current password (a wrong one counts towards the account's lock-out). Every other session of the agent ends at once; this one stays.",
        security: [{ bearer: [] }],
        body: PasswordChangeBody,
        response: {
          200: Type.Object({ ended_sessions: Type.Integer() }),
          400: ProblemDetails,
          401: ProblemDetails,
          403: ProblemDetails,
          409: ProblemDetails,
          ...tooMany,
        },
      },
    },
    async (req, reply) => {
      const now = new Date();
      const me = agentOf(req);
      const found = await findAgentCredentials(app.deps.db, me.email);
      const legacy = found?.id === me.id && found.password_hash ? newCredential(found.password_hash, found.created_at) : null;
      const credential = (await credentials.get(me.id))?.credential ?? legacy;
      if (!credential) throw notFound('account');
      if (lockedForMs(credential, now) > 0)
        await recordAudit(app, req, me.id, 'auth.password_change_failed', { detail: { reason: 'locked' } });
      refuseIfLocked(reply, credential, now);
      if (!(await verifyPassword(req.body.current_password, credential.hash))) {
        await credentials.mutate(me.id, legacy, (c) => ({ ...c, ...afterFailure(c, now) }));
        await recordAudit(app, req, me.id, 'auth.password_change_failed', { detail: { reason: 'wrong_password' } });
        throw new HttpProblem(403, 'Forbidden', 'That is not your current password.', [
          { pointer: '/current_password', detail: 'is not your current password' },
        ]);
      }
      const hash = await hashPassword(req.body.new_password);
      let raced = false;
      await credentials.mutate(me.id, legacy, (c) => {
        raced = c.hash !== credential.hash;
        return raced ? c : { ...c, ...afterSuccess(), hash, changed_at: now.toISOString() };
      });
      if (raced) throw new HttpProblem(409, 'Conflict', 'The password was changed meanwhile; nothing was changed now.');
      const ended = await sessions.revokeAll(me.id, me.sid);
      await recordAudit(app, req, me.id, 'auth.password_changed', { detail: { ended_sessions: ended } });
      return { ended_sessions: ended };
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
      const renamed = await execute<'crm', 'rename_agent', AgentT>(app, req, 'crm', 'rename_agent', { name: req.body.name });
      await recordAudit(app, req, agentOf(req).id, 'agent.renamed'); // not the name itself
      return (await getAgent(app.deps.db, agentOf(req).id)) ?? renamed;
    },
  );
};
