/**
 * Same-run baselines: what the bare stack does on this machine, right now, with no
 * RealtorOS code in the way. Each benchmark divides its figure by one of these.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

/**
 * Bare JetStream publish: `count` messages of `bytes` bytes on a file stream of its own,
 * `window` publishes awaited at a time (what an async publisher keeps in flight). → msgs/s.
 */
export async function jetstreamPublishRate(nc: NatsConnection, count = 20_000, bytes = 600, window = 256): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const name = `BENCH_PUB_${Date.now().toString(36)}`;
  await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`] });
  const js = jetstream(nc);
  const data = new Uint8Array(bytes).fill(120);
  const started = performance.now();
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(js.publish(`${name.toLowerCase()}.${i % 1000}`, data, { msgID: `${name}-${i}` }));
    if (pending.length >= window) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const ms = performance.now() - started;
  await jsm.streams.delete(name);
  return count / (ms / 1000);
}

/**
 * Bare Fastify + one pg SELECT: a server of its own on a free port, a pool of 10 as the
 * gateway has, answering GET /client/:id with `SELECT * FROM clients WHERE agent_id = $1 AND
 * id = $2` as JSON — no auth, no tenancy plugin, no schema. The reads benchmark loads it as
 * it loads the gateway.
 */
export async function startFastifyPgBaseline(databaseUrl: string, agentId: string) {
  const { default: Fastify } = await import('fastify');
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/client/:id', async (req) => {
    const { rows } = await pool.query('SELECT * FROM clients WHERE agent_id = $1 AND id = $2', [agentId, req.params.id]);
    return rows[0] ?? null;
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}
