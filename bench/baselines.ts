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

/**
 * Bare consume → Postgres: what a minimal projector does, with no RealtorOS code in the way.
 * `count` JSON messages of ~`bytes` bytes are published to a file stream of its own (not
 * timed), then read back with an ordered consumer and written in batches of `batch`: each
 * batch one transaction of one multi-row upsert (`INSERT … ON CONFLICT (id) DO UPDATE`, the
 * message as jsonb) and the checkpoint row's update. → events/s from the first message asked
 * for to the last commit.
 */
export async function consumeToPostgresRate(
  nc: NatsConnection,
  databaseUrl: string,
  opts: { count?: number; bytes?: number; batch?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<number> {
  const { count = 100_000, bytes = 600, batch = 1000 } = opts;
  const { default: pg } = await import('pg');
  const { DeliverPolicy } = await import('@nats-io/jetstream');
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const name = `BENCH_CONSUME_${Date.now().toString(36).toUpperCase()}`;
  const table = name.toLowerCase();
  await jsm.streams.add({ name, subjects: [`${table}.>`] });
  const filler = 'x'.repeat(Math.max(0, bytes - 160));
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ id: `${name}-${i}`, type: 'Bench', agent: i % 100, at: new Date().toISOString(), n: i, filler });
    pending.push(js.publish(`${table}.${i % 1000}`, body));
    if (pending.length >= 1000) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${table} (id text PRIMARY KEY, seq bigint NOT NULL, data jsonb NOT NULL)`);
    await client.query(`CREATE TABLE ${table}_checkpoint (stream text PRIMARY KEY, last_seq bigint NOT NULL)`);
    await client.query(`INSERT INTO ${table}_checkpoint VALUES ($1, 0)`, [name]);
    const started = performance.now();
    const consumer = await js.consumers.get(name, { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume({ max_messages: batch * 2 });
    let rows: { id: string; seq: number; data: string }[] = [];
    let written = 0;
    const flush = async () => {
      const params: unknown[] = [];
      const values = rows.map((r, i) => {
        params.push(r.id, r.seq, r.data);
        return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
      });
      const last = rows.at(-1)?.seq ?? 0;
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${table} (id, seq, data) VALUES ${values.join(',')} ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, data = excluded.data`,
        params,
      );
      await client.query(`UPDATE ${table}_checkpoint SET last_seq = $1 WHERE stream = $2`, [last, name]);
      await client.query('COMMIT');
      written += rows.length;
      rows = [];
      opts.onProgress?.(written, count);
    };
    for await (const m of messages) {
      const text = m.string();
      rows.push({ id: (JSON.parse(text) as { id: string }).id, seq: m.seq, data: text });
      if (rows.length >= batch || m.info.pending === 0) await flush();
      if (m.info.pending === 0) break;
    }
    await messages.close();
    const ms = performance.now() - started;
    return written / (ms / 1000);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_checkpoint`).catch(() => {});
    await client.end();
    await jsm.streams.delete(name);
  }
}
