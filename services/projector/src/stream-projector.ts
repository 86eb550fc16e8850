import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { StreamName } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import type { Logger } from '@realtoros/observability';
import { applyBatch, type BatchResult, type ParkedEvent, type RawMessage, readCheckpoint } from './batch.ts';
import { isTransient, reasonOf } from './poison.ts';
import type { Projection } from './projection.ts';

export type StreamProjector = { stop(): Promise<void>; done: Promise<void> };

/** How long a batch may wait for messages already delivered to this process. */
const LINGER_MS = 5;

/**
 * Follows one stream with an ordered consumer starting after the Postgres checkpoint (the
 * checkpoint, not a durable consumer, is the truth), and writes batches: up to `batchSize`
 * messages, or whatever arrived when the stream has nothing more pending. Follows forever
 * (`ops replay` reads up to a known end with its own loop, ops/replay.ts).
 */
export async function startStreamProjector(opts: {
  js: JetStreamClient;
  db: Db;
  stream: StreamName;
  projections: readonly Projection[];
  log: Logger;
  schema?: string;
  batchSize?: number;
  onBatch?: (info: BatchResult & { pending: number }) => void;
  /** Events this batch parked (already committed), e.g. to copy them to dead letters. */
  onParked?: (parked: ParkedEvent[]) => Promise<void>;
}): Promise<StreamProjector> {
  const schema = opts.schema ?? 'public';
  const batchSize = opts.batchSize ?? 500;
  const log = opts.log.child({ stream: opts.stream });
  const from = (await readCheckpoint(opts.db, schema, opts.stream)) + 1;
  const consumer = await opts.js.consumers.get(opts.stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const messages = await consumer.consume({ max_messages: batchSize * 2 });
  let batch: RawMessage[] = [];
  let stopped = false;

  const flush = async (pending: number) => {
    if (batch.length === 0) return;
    const toApply = batch;
    batch = [];
    const r = await applyResilient(
      { db: opts.db, schema, stream: opts.stream, messages: toApply, projections: opts.projections, log },
      { stopped: () => stopped, onParked: opts.onParked },
    );
    opts.onBatch?.({ ...r, pending });
  };

  // Batches are applied one at a time, in order: by the loop, or by the linger timer below.
  let applying: Promise<void> = Promise.resolve();
  const flushInOrder = (pending: number) => {
    const next = applying.catch(() => {}).then(() => flush(pending));
    applying = next;
    return next;
  };
  let linger: NodeJS.Timeout | undefined;

  const done = (async () => {
    for await (const m of messages) {
      clearTimeout(linger);
      batch.push({ seq: m.seq, data: m.data, subject: m.subject });
      const pending = m.info.pending;
      if (batch.length >= batchSize) await flushInOrder(pending);
      else if (pending === 0 && messages.getPending() <= 0) {
        // Caught up: nothing on the server (as of this message's delivery), nothing delivered
        // and waiting here. Apply now.
        await flushInOrder(0);
      } else if (pending === 0) {
        // More were delivered while the last batch was being applied (under steady load every
        // message says "0 pending" on the server, as it is delivered when published): take
        // them into this batch rather than one transaction each — but never hold a batch
        // longer than LINGER_MS should the count include something that is not a message.
        linger = setTimeout(() => flushInOrder(0).catch((err) => log.error({ err }, 'batch failed')), LINGER_MS);
      }
    }
    clearTimeout(linger);
    await flushInOrder(0);
  })();

  return {
    done,
    async stop() {
      stopped = true;
      await messages.close();
      await done.catch(() => {});
    },
  };
}

/**
 * One batch, whatever it takes: the fast path (the whole batch in one transaction); if that
 * fails because of an event (not because Postgres is unreachable), the slow path applies it
 * event by event and parks what fails, so one bad event never stops the stream for everyone.
 * Postgres unreachable or overloaded: the same batch again with backoff (the checkpoint makes
 * it safe); never skipped, never parked. Shared by the live projector and `ops replay`.
 */
export async function applyResilient(
  base: Omit<Parameters<typeof applyBatch>[0], 'isolate'>,
  hooks: { stopped?: () => boolean; onParked?: (parked: ParkedEvent[]) => Promise<void> } = {},
): Promise<BatchResult> {
  const log = base.log;
  let isolate = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await applyBatch({ ...base, isolate });
      // Committed: the parked rows are the record; a failed copy elsewhere is only logged.
      if (r.parked.length > 0) await hooks.onParked?.(r.parked).catch((err) => log.error({ err }, 'could not report parked events'));
      return r;
    } catch (err) {
      if (!isolate && !isTransient(err)) {
        log.warn({ err: reasonOf(err), size: base.messages.length }, 'batch failed on an event; applying it event by event');
        isolate = true;
        attempt = 0;
        continue;
      }
      log.error({ err, attempt }, 'batch failed; retrying');
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      if (hooks.stopped?.()) throw err;
    }
  }
}
