import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Db } from '@realtoros/db';
import type { Logger } from '@realtoros/observability';
import { sql } from 'kysely';
import { applyBatchIn, type RawMessage, readCheckpoint } from '../batch.ts';
import { PROJECTED_STREAMS, type Projection, replayedTables } from '../projection.ts';
import { startStreamProjector } from '../stream-projector.ts';

export type ReplayProgress = { done: number; total: number; stream: string; elapsedMs: number };
export type ReplayResult = { events: number; seconds: number; eventsPerSecond: number; schema: string };

/**
 * Rebuilds every read model from the streams into a fresh schema while the live tables keep
 * serving, then swaps the fresh tables in within one transaction: the live checkpoints are
 * locked (the live projector waits), whatever arrived meanwhile is applied to the fresh
 * tables, and the tables change schema. Readers see either the old or the new tables.
 * The tables are the ones the projections declare plus the checkpoints and parked events;
 * poison is parked into the scratch schema exactly as the live projector would park it, so
 * the swapped-in `projection_parked` says what the current code cannot project.
 */
export async function replay(opts: {
  db: Db;
  js: JetStreamClient;
  jsm: JetStreamManager;
  projections: readonly Projection[];
  log: Logger;
  onProgress?: (p: ReplayProgress) => void;
  batchSize?: number;
}): Promise<ReplayResult> {
  const { db, js, jsm } = opts;
  const stamp = Date.now().toString(36);
  const schema = `rebuild_${stamp}`;
  const retired = `retired_${stamp}`;
  const started = Date.now();
  const tables = replayedTables(opts.projections);

  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
  for (const t of tables) await sql`CREATE TABLE ${sql.id(schema, t)} (LIKE ${sql.id('public', t)} INCLUDING ALL)`.execute(db);

  const totals = await Promise.all(PROJECTED_STREAMS.map(async (s) => (await jsm.streams.info(s)).state.messages));
  const total = totals.reduce((a, b) => a + b, 0);
  let done = 0;
  try {
    for (const stream of PROJECTED_STREAMS) {
      const p = await startStreamProjector({
        js,
        db,
        stream,
        projections: opts.projections,
        log: opts.log,
        schema,
        batchSize: opts.batchSize ?? 1000,
        untilCaughtUp: true,
        onBatch: ({ applied }) => {
          done += applied;
          opts.onProgress?.({ done, total, stream, elapsedMs: Date.now() - started });
        },
      });
      await p.done;
    }

    await db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE public.projection_checkpoints IN ACCESS EXCLUSIVE MODE`.execute(trx);
      for (const stream of PROJECTED_STREAMS) {
        const live = Number(
          (await trx.selectFrom('projection_checkpoints').select('last_seq').where('stream', '=', stream).executeTakeFirst())?.last_seq ??
            0,
        );
        const rebuilt = await readCheckpoint(db, schema, stream);
        if (live > rebuilt) {
          const gap = await readRange(js, stream, rebuilt + 1, live);
          // Event by event under savepoints: a poison event here is parked, never fails the swap.
          const r = await applyBatchIn(trx, { schema, stream, messages: gap, projections: opts.projections, log: opts.log, isolate: true });
          done += r.applied;
        }
      }
      await sql`CREATE SCHEMA ${sql.id(retired)}`.execute(trx);
      for (const t of tables) {
        await sql`ALTER TABLE ${sql.id('public', t)} SET SCHEMA ${sql.id(retired)}`.execute(trx);
        await sql`ALTER TABLE ${sql.id(schema, t)} SET SCHEMA public`.execute(trx);
      }
    });
    await sql`DROP SCHEMA ${sql.id(retired)} CASCADE`.execute(db);
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
  }
  const seconds = (Date.now() - started) / 1000;
  return { events: done, seconds, eventsPerSecond: done / Math.max(seconds, 0.001), schema };
}

/** Messages with from ≤ seq ≤ to, in order. */
async function readRange(js: JetStreamClient, stream: string, from: number, to: number): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  const c = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  const it = await c.consume({ max_messages: 500 });
  for await (const m of it) {
    if (m.seq > to) break;
    out.push({ seq: m.seq, data: m.data, subject: m.subject });
    if (m.seq >= to) break;
  }
  await it.close();
  return out;
}
