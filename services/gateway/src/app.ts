import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@realtoros/observability';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { registerErrorHandling } from './errors/index.ts';
import { registerAuth } from './plugins/auth.ts';
import type { GatewayDeps } from './plugins/context.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerValidation } from './plugins/validation.ts';
import { authRoutes } from './routes/auth.ts';
import { clientRoutes } from './routes/clients.ts';
import { taskRoutes } from './routes/tasks.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { emailRoutes } from './routes/emails.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { webhookRoutes } from './routes/webhook.ts';
import { eventStreamRoutes } from './routes/events-stream.ts';
import { healthRoutes } from './routes/health.ts';

/** Builds the HTTP app: external plugins → app plugins → routes (tests use `inject`). */
export async function buildApp(deps: GatewayDeps, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined) ?? uuidv7(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('deps', deps);
  registerValidation(app);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'RealtorOS API', version: '0.1.0', description: 'Clients, follow-ups, emails and engagement for real-estate agents.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerErrorHandling(app);
  registerAuth(app);
  registerMetrics(app);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(clientRoutes);
  await app.register(taskRoutes);
  await app.register(emailRoutes);
  await app.register(dashboardRoutes);
  await app.register(webhookRoutes);
  await app.register(unsubscribeRoutes);
  await app.register(eventStreamRoutes);
  return app;
}
