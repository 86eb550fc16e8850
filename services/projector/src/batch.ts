import { type Envelope, FORMATS, parseSubject, type StreamName } from '@realtoros/contracts';
import type { Database, Db } from '@realtoros/db';
import { decodeEvent, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { sql, type Transaction } from 'kysely';
import { isTransient, reasonOf } from './poison.ts';
import { PROJECTOR_NAME, type Projection, type ProjectionDb } from './projection.ts';

export type RawMessage = { seq: number; data: Uint8Array; subject: string };

type BatchOptions = {
  schema: string;
  stream: StreamName;
  messages: RawMessage[];
  projections: readonly Projection[];
  log: Logger;
  /**
   * Apply each event under its own SAVEPOINT and park the ones that fail (the slow path,
   * after the whole batch failed with an error that is not transient). Without it, the
   * first failing event fails the whole batch (the fast path).
   */
  isolate?: boolean;
  /**
   * `SET LOCAL synchronous_commit = off` for this transaction: its commit does not wait for
   * the WAL flush. Only for replay's scratch schema, which nobody reads until the swap, and
   * the swap's own (synchronous) commit flushes every WAL record before it (ops/replay.ts).
   */
  asyncCommit?: boolean;
};

/** An event parked by this batch: it failed (`behindSeq` null), or waits behind one of its subject that did. */
export type ParkedEvent = {
  seq: number;
  subject: string;
  eventType: string | null;
  agentId: string | null;
  reason: string;
  behindSeq: number | null;
  data: Uint8Array;
};

export type BatchResult = { applied: number; lastSeq: number; events: { event: Envelope; seq: number }[]; parked: ParkedEvent[] };

/**
 * Applies one batch of a stream's messages in a single transaction together with the
 * checkpoint. The checkpoint row is locked first, so concurrent projector replicas (or a
 * replay's catch-up, or an operator's redrive) serialise, and anything at or below it is
 * skipped: redelivered or replayed messages leave the read model unchanged.
 *
 * A message on a subject that already has parked events is parked behind them (so one
 * aggregate's events are never applied out of order); with `isolate`, a message that cannot
 * be decoded or applied is parked too. The checkpoint always moves past the whole batch.
 */
export async function applyBatch(opts: BatchOptions & { db: Db }): Promise<BatchResult> {
  return opts.db.transaction().execute((trx) => applyBatchIn(trx, opts));
}

/** The same, inside a transaction the caller holds (the replay's swap). */
export async function applyBatchIn(trx: Transaction<Database>, opts: BatchOptions): Promise<BatchResult> {
  const { stream, messages, projections } = opts;
  const scoped = trx.withSchema(opts.schema);
  if (opts.asyncCommit) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
  let lastSeq = await lockCheckpoint(scoped, stream);
  const fresh = messages.filter((m) => m.seq > lastSeq);
  // Read after the checkpoint lock: a redrive that just emptied a subject has committed.
  const blocked = await parkedHeads(
    scoped,
    stream,
    fresh.map((m) => m.subject),
  );
  let applied = 0;
  const events: BatchResult['events'] = [];
  const parked: ParkedEvent[] = [];

  for (const m of fresh) {
    lastSeq = m.seq;
    const head = blocked.get(m.subject);
    if (head !== undefined) {
      parked.push(await park(scoped, stream, m, `waiting behind seq ${head}`, head));
      continue;
    }
    if (!opts.isolate) {
      // Fast path: decode now (an undecodable message fails the batch), apply all at the end.
      events.push({ event: decodeEvent(m.data), seq: m.seq });
      applied++;
      continue;
    }
    await sql`SAVEPOINT projector_event`.execute(trx);
    try {
      const event = decodeEvent(m.data);
      await applyEvent(scoped, projections, event, stream, m.seq);
      await sql`RELEASE SAVEPOINT projector_event`.execute(trx);
      applied++;
      events.push({ event, seq: m.seq });
    } catch (err) {
      // Postgres itself is the problem: give up the whole batch, the caller retries it.
      if (isTransient(err)) throw err;
      // Roll back and end the savepoint: a batch of many poison events must not pile up open subtransactions.
      await sql`ROLLBACK TO SAVEPOINT projector_event`.execute(trx);
      await sql`RELEASE SAVEPOINT projector_event`.execute(trx);
      const p = await park(scoped, stream, m, reasonOf(err), null);
      opts.log.error(
        { stream, seq: m.seq, subject: m.subject, type: p.eventType, reason: p.reason },
        'event parked: it cannot be projected',
      );
      parked.push(p);
      blocked.set(m.subject, m.seq);
    }
  }
  if (!opts.isolate) await applyEvents(scoped, projections, events, stream);
  await scoped
    .updateTable('projection_checkpoints')
    .set({ last_seq: lastSeq, updated_at: sql`now()` })
    .where('projection', '=', PROJECTOR_NAME)
    .where('stream', '=', stream)
    .execute();
  return { applied, lastSeq, events, parked };
}

/** The fast path: each projection takes its events of the batch, at once when it can (`applyMany`). */
async function applyEvents(
  db: ProjectionDb,
  projections: readonly Projection[],
  events: BatchResult['events'],
  stream: StreamName,
): Promise<void> {
  for (const p of projections) {
    const mine = events.filter(({ event }) => p.handles.includes(event.type)).map(({ event, seq }) => ({ event, pos: { stream, seq } }));
    if (mine.length === 0) continue;
    if (p.applyMany) await p.applyMany(db, mine);
    else for (const { event, pos } of mine) await p.apply(db, event, pos);
  }
}

/** Every projection that handles the event, in PROJECTIONS order. */
export async function applyEvent(
  db: ProjectionDb,
  projections: readonly Projection[],
  event: Envelope,
  stream: StreamName,
  seq: number,
): Promise<void> {
  for (const p of projections) {
    if (p.handles.includes(event.type)) await p.apply(db, event, { stream, seq });
  }
}

/** Creates (if needed) and locks the stream's checkpoint row; returns its sequence. */
export async function lockCheckpoint(db: ProjectionDb, stream: StreamName): Promise<number> {
  await db
    .insertInto('projection_checkpoints')
    .values({ projection: PROJECTOR_NAME, stream, last_seq: 0, updated_at: new Date() })
    .onConflict((oc) => oc.columns(['projection', 'stream']).doNothing())
    .execute();
  const row = await db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('projection', '=', PROJECTOR_NAME)
    .where('stream', '=', stream)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return Number(row.last_seq);
}

/** For each of these subjects that has parked events: the sequence of its first one. */
async function parkedHeads(db: ProjectionDb, stream: StreamName, subjects: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(subjects)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom('projection_parked')
    .select(['subject', (eb) => eb.fn.min<number>('seq').as('first')])
    .where('stream', '=', stream)
    // One array parameter, not one per subject (a replay batch names thousands).
    .where(sql<boolean>`subject = ANY(${unique}::text[])`)
    .groupBy('subject')
    .execute();
  return new Map(rows.map((r) => [r.subject, Number(r.first)]));
}

async function park(db: ProjectionDb, stream: StreamName, m: RawMessage, reason: string, behindSeq: number | null): Promise<ParkedEvent> {
  const { eventType, agentId } = peek(m);
  await db
    .insertInto('projection_parked')
    .values({
      stream,
      seq: m.seq,
      subject: m.subject,
      event_type: eventType,
      agent_id: agentId,
      reason,
      behind_seq: behindSeq,
      raw: m.data,
    })
    .onConflict((oc) => oc.columns(['stream', 'seq']).doNothing())
    .execute();
  return { seq: m.seq, subject: m.subject, eventType, agentId, reason, behindSeq, data: m.data };
}

/** What can be told of a message that may not even be JSON: its type and agent, when readable. */
function peek(m: RawMessage): { eventType: string | null; agentId: string | null } {
  let body: { type?: unknown; agent_id?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(m.data));
    if (typeof parsed === 'object' && parsed !== null) body = parsed;
  } catch {
    // not JSON: the subject still names the agent
  }
  const agent = typeof body.agent_id === 'string' ? body.agent_id : parseSubject(m.subject)?.agentId;
  return {
    eventType: typeof body.type === 'string' ? storableText(body.type).slice(0, 200) : null,
    // The column is a uuid: anything else (a foreign subject) is stored as unknown.
    agentId: agent && FORMATS.uuid?.(agent) ? agent : null,
  };
}

export async function readCheckpoint(db: Db, schema: string, stream: StreamName): Promise<number> {
  const row = await db
    .withSchema(schema)
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('projection', '=', PROJECTOR_NAME)
    .where('stream', '=', stream)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : 0;
}
