import { sql } from '@realtoros/db';
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  /** Ready when both NATS and Postgres answer. */
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = { nats: false, postgres: false };
    try {
      await app.deps.nc.flush();
      checks.nats = !app.deps.nc.isClosed();
    } catch {}
    try {
      await sql`SELECT 1`.execute(app.deps.db);
      checks.postgres = true;
    } catch {}
    const ready = checks.nats && checks.postgres;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
