import type { Envelope, StreamName } from '@realtoros/contracts';
import type { Database, Db } from '@realtoros/db';
import { decodeEvent } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { sql, type Transaction } from 'kysely';
import { PROJECTOR_NAME, type Projection } from './projection.ts';

export type RawMessage = { seq: number; data: Uint8Array; subject: string };

type BatchOptions = {
  schema: string;
  stream: StreamName;
  messages: RawMessage[];
  projections: readonly Projection[];
  log: Logger;
};

export type BatchResult = { applied: number; lastSeq: number; events: { event: Envelope; seq: number }[] };

/**
 * Applies one batch of a stream's messages in a single transaction together with the
 * checkpoint. The checkpoint row is locked first, so concurrent projector replicas (or a
 * replay's catch-up) serialise, and anything at or below it is skipped: redelivered or
 * replayed messages leave the read model unchanged.
 */
export async function applyBatch(opts: BatchOptions & { db: Db }): Promise<BatchResult> {
  return opts.db.transaction().execute((trx) => applyBatchIn(trx, opts));
}

/** The same, inside a transaction the caller holds (the replay's swap). */
export async function applyBatchIn(trx: Transaction<Database>, opts: BatchOptions): Promise<BatchResult> {
  const { stream, messages, projections, log } = opts;
  const scoped = trx.withSchema(opts.schema);
  await scoped
    .insertInto('projection_checkpoints')
    .values({ projection: PROJECTOR_NAME, stream, last_seq: 0, updated_at: new Date() })
    .onConflict((oc) => oc.columns(['projection', 'stream']).doNothing())
    .execute();
  const row = await scoped
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('projection', '=', PROJECTOR_NAME)
    .where('stream', '=', stream)
    .forUpdate()
    .executeTakeFirstOrThrow();
  let lastSeq = Number(row.last_seq);
  let applied = 0;
  const events: BatchResult['events'] = [];
  for (const m of messages) {
    if (m.seq <= lastSeq) continue;
    let event: ReturnType<typeof decodeEvent> | null = null;
    try {
      event = decodeEvent(m.data);
    } catch (err) {
      // Validated on publish, so this is a foreign or corrupt message: skip it, loudly.
      log.error({ stream, seq: m.seq, subject: m.subject, err }, 'skipping undecodable message');
    }
    if (event) {
      for (const p of projections) {
        if (p.handles.includes(event.type)) await p.apply(scoped, event, { stream, seq: m.seq });
      }
      applied++;
      events.push({ event, seq: m.seq });
    }
    lastSeq = m.seq;
  }
  await scoped
    .updateTable('projection_checkpoints')
    .set({ last_seq: lastSeq, updated_at: sql`now()` })
    .where('projection', '=', PROJECTOR_NAME)
    .where('stream', '=', stream)
    .execute();
  return { applied, lastSeq, events };
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
