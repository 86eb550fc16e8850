import { sql } from '@realtoros/db';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../errors/index.ts';

/** A readiness probe must answer quickly even when a dependency hangs rather than refuses. */
const CHECK_TIMEOUT_MS = 2000;

async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      check().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  /**
   * Ready when both NATS and Postgres answer. Not ready → 503 problem details naming the
   * dependency that is down (`checks` says which), with Retry-After.
   */
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const { nc, db } = app.deps;
    const [nats, postgres] = await Promise.all([
      answers(async () => {
        if (nc.isClosed()) throw new Error('closed');
        await nc.flush();
      }),
      answers(() => sql`SELECT 1`.execute(db)),
    ]);
    const checks = { nats, postgres };
    if (nats && postgres) return reply.send({ status: 'ready', checks });
    const down = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => (name === 'nats' ? 'NATS' : 'Postgres'));
    reply.header('retry-after', '5');
    return sendProblem(reply, 503, `Not ready: ${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} not answering.`, {
      title: 'Not ready',
      extensions: { checks },
    });
  });
}
