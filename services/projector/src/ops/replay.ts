import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { EVENTS, type StreamName } from '@realtoros/contracts';
import type { Database, Db } from '@realtoros/db';
import type { Logger } from '@realtoros/observability';
import { sql } from 'kysely';
import { applyBatchIn, type BatchResult, type RawMessage, readCheckpoint } from '../batch.ts';
import { PROJECTED_STREAMS, type Projection, replayedTables } from '../projection.ts';
import { applyResilient } from '../stream-projector.ts';

export type ReplayProgress = { done: number; total: number; stream: string; elapsedMs: number };
export type ReplayResult = { events: number; seconds: number; eventsPerSecond: number; schema: string };

/**
 * Replay's batch: big, as nobody waits on it (the live projector's default is 500). 10,000
 * rather than 4,000: fewer transactions and multi-row statements (a task's scheduled / due /
 * completed more often fall in one batch, so one round of updates covers more rows).
 */
export const REPLAY_BATCH_SIZE = 10_000;

/**
 * Tables whose rows are keyed by the event's own stream position (`client_events`: stream,
 * seq), so several streams writing them never touch the same row.
 */
const KEYED_BY_POSITION: readonly (keyof Database)[] = ['client_events'];

/**
 * Rebuilds every read model from the streams into a fresh schema while the live tables keep
 * serving, then swaps the fresh tables in within one transaction: the live checkpoints are
 * locked (the live projector waits), whatever arrived meanwhile is applied to the fresh
 * tables, and the tables change schema. Readers see either the old or the new tables.
 * The tables are the ones the projections declare plus the checkpoints and parked events;
 * poison is parked into the scratch schema exactly as the live projector would park it, so
 * the swapped-in `projection_parked` says what the current code cannot project.
 *
 * Fast (DESIGN.md, "Replay: where its time goes"): big batches through the projections'
 * multi-row `applyMany`; the next batch read while the current one is written; scratch
 * transactions commit without waiting for the WAL flush; secondary indexes built once after
 * the load; streams that share no table side by side (`replayOrder`); projections that can be
 * derived from the others' rows (`rebuild`: the dashboard summary) computed once after the load.
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
  const deferred = await createScratchTables(db, schema, tables);

  const totals = await Promise.all(PROJECTED_STREAMS.map(async (s) => (await jsm.streams.info(s)).state.messages));
  const total = totals.reduce((a, b) => a + b, 0);
  let done = 0;
  const running = new Set<string>();
  try {
    // Every stream starts at once unless it waits for an earlier one it shares a table with
    // (`replayOrder`): MAILER starts as soon as CRM and AI are done, not after SCHEDULER, the
    // longest stream, which shares nothing with it.
    // Projections that can rebuild their tables from the others' rows (the dashboard summary)
    // stay out of the load and are rebuilt once below.
    const loaded = opts.projections.filter((p) => !p.rebuild);
    const order = replayOrder(loaded);
    const finished = new Map<StreamName, Promise<void>>();
    for (const stream of PROJECTED_STREAMS) {
      const after = (order.get(stream) ?? []).map((s) => finished.get(s));
      finished.set(
        stream,
        (async () => {
          await Promise.all(after);
          running.add(stream);
          await replayStream({ ...opts, projections: loaded, schema, stream, batchSize: opts.batchSize ?? REPLAY_BATCH_SIZE }, (r) => {
            done += r.applied;
            opts.onProgress?.({ done, total, stream: [...running].join('+'), elapsedMs: Date.now() - started });
          });
          running.delete(stream);
        })(),
      );
    }
    // allSettled first: a failing stream must not leave the others writing while the schema is dropped.
    const outcomes = await Promise.allSettled(finished.values());
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
    for (const p of opts.projections) {
      const rebuild = p.rebuild?.bind(p);
      if (rebuild)
        await db.transaction().execute(async (trx) => {
          await sql`SET LOCAL synchronous_commit = off`.execute(trx); // scratch: see applyBatchIn's asyncCommit
          await rebuild(trx.withSchema(schema));
        });
    }
    // The secondary indexes, each built once over the loaded rows (cheaper than kept row by row).
    for (const statement of deferred) await sql.raw(statement).execute(db);

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
      // Synchronous (this transaction does not turn it off): its commit flushes the WAL up to
      // here, so every scratch batch committed asynchronously before it is durable with it.
    });
    await sql`DROP SCHEMA ${sql.id(retired)} CASCADE`.execute(db);
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
  }
  const seconds = (Date.now() - started) / 1000;
  return { events: done, seconds, eventsPerSecond: done / Math.max(seconds, 0.001), schema };
}

/**
 * Which streams each stream's replay waits for: the earlier ones (in PROJECTED_STREAMS order)
 * whose events the given projections project into a table its own events are too (tables keyed by stream
 * position excepted). Any two streams that share a table are thus applied one after the other,
 * always in the same order; the others run side by side. With today's read models CRM,
 * SCHEDULER and AI start at once and MAILER waits for CRM and AI (its EmailSent / ClientReplied
 * update `clients`, its reports `email_logs`: it runs after the rows' creators). The one read
 * across streams, ClientCreated's `max(email_logs.sent_at)` and `replies`, reads what only
 * MAILER writes, so AI running beside CRM cannot change what it reads.
 */
export function replayOrder(projections: readonly Projection[]): Map<StreamName, StreamName[]> {
  const writes = new Map<StreamName, Set<string>>();
  for (const stream of PROJECTED_STREAMS) writes.set(stream, new Set());
  for (const p of projections)
    for (const type of p.handles) for (const t of p.tables) if (!KEYED_BY_POSITION.includes(t)) writes.get(EVENTS[type].stream)?.add(t);
  const order = new Map<StreamName, StreamName[]>();
  PROJECTED_STREAMS.forEach((stream, i) => {
    const mine = writes.get(stream) ?? new Set<string>();
    order.set(
      stream,
      PROJECTED_STREAMS.slice(0, i).filter((earlier) => [...(writes.get(earlier) ?? [])].some((t) => mine.has(t))),
    );
  });
  return order;
}

/**
 * One stream into the scratch schema, from its scratch checkpoint to the stream's last
 * sequence as of now (what arrives later is the swap's catch-up): an ordered consumer, batches
 * of `batchSize`, the next batch read while the current one is written (one write at a time,
 * in order), each through the same fast/slow path as the live projector.
 */
async function replayStream(
  opts: {
    db: Db;
    js: JetStreamClient;
    jsm: JetStreamManager;
    projections: readonly Projection[];
    log: Logger;
    schema: string;
    stream: StreamName;
    batchSize: number;
  },
  onBatch: (r: BatchResult) => void,
): Promise<void> {
  const last = (await opts.jsm.streams.info(opts.stream)).state.last_seq;
  const from = (await readCheckpoint(opts.db, opts.schema, opts.stream)) + 1;
  if (from > last) return;
  const log = opts.log.child({ stream: opts.stream, replay: opts.schema });
  const consumer = await opts.js.consumers.get(opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  const messages = await consumer.consume({ max_messages: opts.batchSize * 2 });
  let writing: Promise<void> = Promise.resolve();
  const write = (batch: RawMessage[]) =>
    applyResilient({
      db: opts.db,
      schema: opts.schema,
      stream: opts.stream,
      messages: batch,
      projections: opts.projections,
      log,
      asyncCommit: true,
    }).then(onBatch);
  try {
    let batch: RawMessage[] = [];
    for await (const m of messages) {
      batch.push({ seq: m.seq, data: m.data, subject: m.subject });
      if (batch.length >= opts.batchSize || m.seq >= last) {
        await writing;
        writing = write(batch);
        batch = [];
      }
      if (m.seq >= last) break;
    }
    await writing;
  } finally {
    await messages.close();
  }
}

/**
 * The scratch tables: columns, defaults and checks as the live ones (`LIKE … INCLUDING ALL
 * EXCLUDING INDEXES`), their primary keys and unique indexes at once (upserts need them) and
 * under the live names (index names are per schema: after the swap they are the migrations'
 * names, not generated ones). Returns the other indexes' statements, to run after the load.
 */
async function createScratchTables(db: Db, schema: string, tables: readonly string[]): Promise<string[]> {
  const deferred: string[] = [];
  for (const t of tables) {
    await sql`CREATE TABLE ${sql.id(schema, t)} (LIKE ${sql.id('public', t)} INCLUDING ALL EXCLUDING INDEXES)`.execute(db);
    const { rows } = await sql<{ def: string; unique: boolean; constraint: string | null; condef: string | null }>`
      SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS unique, c.conname AS constraint, pg_get_constraintdef(c.oid) AS condef
      FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
      WHERE i.indrelid = ${`public.${t}`}::regclass ORDER BY i.indexrelid`.execute(db);
    for (const r of rows) {
      if (r.constraint && r.condef) {
        await sql`ALTER TABLE ${sql.id(schema, t)} ADD CONSTRAINT ${sql.id(r.constraint)} ${sql.raw(r.condef)}`.execute(db);
        continue;
      }
      const on = ` ON public.${t} USING `;
      if (!r.def.includes(on)) throw new Error(`replay: cannot read the index definition of ${t}: ${r.def}`);
      const statement = r.def.replace(on, ` ON "${schema}".${t} USING `);
      if (r.unique) await sql.raw(statement).execute(db);
      else deferred.push(statement);
    }
  }
  return deferred;
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
