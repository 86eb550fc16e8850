import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@realtoros/observability';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { answerClientError, answerFrameworkError, READ_YOUR_WRITES_HEADER, registerErrorHandling } from './errors/index.ts';
import { registerAuth } from './plugins/auth.ts';
import type { GatewayDeps } from './plugins/context.ts';
import { watchProjection } from './projection-watch.ts';
import { registerIdempotency } from './plugins/idempotency.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerRateLimits } from './plugins/rate-limit.ts';
import { registerValidation } from './plugins/validation.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { bulkRoutes } from './routes/bulk.ts';
import { clientRoutes } from './routes/clients.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { AI_TIMEOUT_MS, emailRoutes } from './routes/emails.ts';
import { eventStreamRoutes } from './routes/events-stream.ts';
import { exportRoutes } from './routes/exports.ts';
import { importRoutes } from './routes/imports.ts';
import { healthRoutes } from './routes/health.ts';
import { planRoutes } from './routes/plans.ts';
import { settingsRoutes } from './routes/settings.ts';
import { taskRoutes } from './routes/tasks.ts';
import { templateRoutes } from './routes/templates.ts';
import { trailRoutes } from './routes/trails.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { inboundRoutes } from './routes/inbound.ts';
import { reviewRoutes } from './routes/review.ts';
import { webhookRoutes } from './routes/webhook.ts';

/**
 * The caller's `x-request-id` becomes our correlation id (logs, events) only when it is a
 * short token of safe characters: it is echoed in a header and stored, so tabs, markup or a
 * kilobyte of text are replaced by a fresh id instead.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const requestIdOf = (header: string | string[] | undefined): string =>
  typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : uuidv7();

/** Builds the HTTP app: external plugins → app plugins → routes (tests use `inject`). */
export async function buildApp(deps: GatewayDeps, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    // Every answer is problem details, including the ones the router and Node's HTTP parser
    // give before a route runs (bad URL, a path segment over maxParamLength, headers over
    // Node's maxHeaderSize → 400/414/431).
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // The client a trusted proxy names (X-Forwarded-For) is the one rate limits count.
    trustProxy: deps.config.TRUST_PROXY === 'true' ? true : deps.config.TRUST_PROXY,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('deps', deps);
  app.decorate('projection', watchProjection(deps.nc));
  app.addHook('onClose', async () => app.projection.close());
  registerValidation(app);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // A committed write the read models could not confirm in time: a read right now may not show it yet.
    if (req.committedWrite && !req.committedWrite.projected) reply.header(READ_YOUR_WRITES_HEADER, 'pending');
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'RealtorOS API', version: '0.1.0', description: 'Clients, follow-ups, emails and engagement for real-estate agents.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        { name: 'auth', description: 'Sign up, log in, the current agent.' },
        { name: 'clients', description: "The agent's clients and their history." },
        { name: 'imports', description: 'CSV imports: preview, the import job, its progress and its report of rejected rows.' },
        { name: 'templates', description: "The agent's email templates with merge fields." },
        { name: 'tasks', description: 'Follow-up tasks and their decision trails.' },
        { name: 'emails', description: 'Emails: history, preview, send, decision trails.' },
        { name: 'plans', description: 'Follow-up plans (versioned steps), enrolments, and the preview of a plan edit.' },
        { name: 'settings', description: "The agent's sending window, time zone, holidays and daily cap." },
        { name: 'dashboard', description: 'KPIs.' },
        { name: 'events', description: "The agent's events as they happen (SSE)." },
        { name: 'webhooks', description: 'SendGrid event webhook.' },
        { name: 'unsubscribe', description: 'Unsubscribe links.' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerErrorHandling(app);
  await registerRateLimits(app);
  await registerAuth(app);
  registerMetrics(app);
  // Idempotency-Key: a request holds its key at most as long as its longest command and the
  // read-your-writes wait (then another may take over); a duplicate waits about that long.
  const { COMMAND_TIMEOUT_MS, READ_YOUR_WRITES_TIMEOUT_MS } = deps.config;
  await registerIdempotency(app, {
    leaseMs: Math.max(AI_TIMEOUT_MS, COMMAND_TIMEOUT_MS) + READ_YOUR_WRITES_TIMEOUT_MS + 5000,
    waitMs: COMMAND_TIMEOUT_MS + READ_YOUR_WRITES_TIMEOUT_MS,
  });

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(auditRoutes);
  await app.register(exportRoutes);
  await app.register(importRoutes);
  // Before the client routes: `/api/clients/bulk` is a path of its own, never a client id.
  await app.register(bulkRoutes);
  await app.register(clientRoutes);
  await app.register(taskRoutes);
  await app.register(emailRoutes);
  await app.register(reviewRoutes);
  await app.register(trailRoutes);
  await app.register(planRoutes);
  await app.register(templateRoutes);
  await app.register(settingsRoutes);
  await app.register(dashboardRoutes);
  await app.register(webhookRoutes);
  await app.register(inboundRoutes);
  await app.register(unsubscribeRoutes);
  await app.register(eventStreamRoutes);
  return app;
}
