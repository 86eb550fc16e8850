import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Envelope, EventType, StreamName } from '@realtoros/contracts';
import { type Logger, withCorrelation } from '@realtoros/observability';
import { recordDeadLetter } from './dead-letters.ts';
import { DomainError, PoisonMessageError } from './errors.ts';
import { HISTORY_HEADER } from './event-store.ts';
import { decodeEvent } from './events.ts';
import { isAlreadyExists, isConsumerNotFound } from './nats-errors.ts';

export type HandlerContext = {
  msg: JsMsg;
  seq: number;
  traceparent: string | null;
  deliveryCount: number;
  log: Logger;
};
export type EventHandler = (event: Envelope, ctx: HandlerContext) => Promise<void>;

export type ConsumerOptions = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: StreamName;
  durable: string;
  filterSubject?: string;
  log: Logger;
  handle: EventHandler;
  /** Deliveries before a message is dead-lettered (default 8). */
  maxDeliver?: number;
  ackWaitMs?: number;
  /** Messages buffered from the server (default 64, at least `concurrency`). */
  batch?: number;
  /**
   * Messages handled at once (default 1: strictly in order). Above 1, order across
   * messages is not kept — for handlers whose messages are independent (one email each).
   */
  concurrency?: number;
  deliverPolicy?: DeliverPolicy;
  /**
   * Only these event types reach the handler: a message whose `Event-Type` header names
   * another type is acked without being decoded (a consumer that acts on one type of a busy
   * stream: the ai-agent's TaskDue among every scheduler event). A message without the
   * header is decoded and handled as before. Default: every type.
   */
  eventTypes?: readonly EventType[];
  /** nak delay for the n-th redelivery: exponential from 250 ms, capped at 30 s. */
  backoffMs?: (deliveryCount: number) => number;
};

export type RunningConsumer = { stop(): Promise<void>; done: Promise<void> };

const defaultBackoff = (n: number) => Math.min(30_000, 250 * 2 ** Math.max(0, n - 1));

/** Creates (or updates) a durable pull consumer; idempotent across replicas and restarts. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
    const { deliver_policy: _dp, opt_start_seq: _os, filter_subject: _fs, ...updatable } = config;
    await jsm.consumers.update(stream, config.durable_name, updatable);
  } catch (err) {
    if (!isConsumerNotFound(err)) throw err;
    try {
      await jsm.consumers.add(stream, config);
    } catch (addErr) {
      if (!isAlreadyExists(addErr)) throw addErr; // another replica added it first
    }
  }
}

/**
 * The consume loop every service uses: validates each event, hands it to the handler, acks
 * on success, naks with backoff on transient errors, and dead-letters + terminates poison
 * messages and messages out of retries. Handlers must be idempotent (JetStream redelivers).
 */
export async function runConsumer(opts: ConsumerOptions): Promise<RunningConsumer> {
  const maxDeliver = opts.maxDeliver ?? 8;
  const backoff = opts.backoffMs ?? defaultBackoff;
  await ensureConsumer(opts.jsm, opts.stream, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: (opts.ackWaitMs ?? 30_000) * 1_000_000,
    max_deliver: maxDeliver + 1, // we dead-letter on the last one ourselves
    deliver_policy: opts.deliverPolicy ?? DeliverPolicy.All,
    max_ack_pending: 1000,
    ...(opts.filterSubject ? { filter_subject: opts.filterSubject } : {}),
  });
  const consumer = await opts.js.consumers.get(opts.stream, opts.durable);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const messages = await consumer.consume({ max_messages: Math.max(opts.batch ?? 64, concurrency) });
  const log = opts.log.child({ consumer: opts.durable, stream: opts.stream });
  const only = opts.eventTypes ? new Set<string>(opts.eventTypes) : null;

  const done = (async () => {
    const inFlight = new Set<Promise<void>>();
    // Stream sequences being handled here. A message that waited in the local buffer past its
    // ack wait is delivered again, and with concurrency > 1 the copy can start while the
    // first is still running: two handlers of one message at once (the mailer then took its
    // own send in progress for an interrupted one → a false "unknown"). The copy is dropped;
    // the running handler's ack or nak settles the sequence for both deliveries.
    const handling = new Set<number>();
    for await (const msg of messages) {
      if (handling.has(msg.seq)) continue;
      handling.add(msg.seq);
      const p = processOne(msg).finally(() => {
        inFlight.delete(p);
        handling.delete(msg.seq);
      });
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  async function processOne(msg: JsMsg): Promise<void> {
    if (msg.headers?.has(HISTORY_HEADER)) {
      msg.ack(); // recorded history: the read models show it; nothing is to be done about it now
      return;
    }
    if (only) {
      const type = msg.headers?.get('Event-Type');
      if (type && !only.has(type)) {
        msg.ack(); // not ours to handle: no decode, no handler
        return;
      }
    }
    const deliveryCount = msg.info.deliveryCount;
    let event: Envelope;
    try {
      event = decodeEvent(msg.data);
    } catch (err) {
      await deadLetter(msg, (err as Error).message);
      return;
    }
    const ctx: HandlerContext = {
      msg,
      seq: msg.seq,
      traceparent: msg.headers?.get('traceparent') || null,
      deliveryCount,
      log: withCorrelation(log, event.correlation_id, { event_id: event.id, event_type: event.type, seq: msg.seq }),
    };
    // Long handlers keep their lease on the message.
    const heartbeat = setInterval(() => msg.working(), Math.max(1000, (opts.ackWaitMs ?? 30_000) / 3));
    try {
      await opts.handle(event, ctx);
      msg.ack();
    } catch (err) {
      const e = err as Error;
      if (e instanceof PoisonMessageError || (e instanceof DomainError && e.code === 'validation')) {
        await deadLetter(msg, `${e.name}: ${e.message}`);
      } else if (deliveryCount >= maxDeliver) {
        await deadLetter(msg, `out of retries after ${deliveryCount} deliveries: ${e.name}: ${e.message}`);
      } else {
        const delay = backoff(deliveryCount);
        ctx.log.warn({ err: e, delivery: deliveryCount, retry_in_ms: delay }, 'handler failed; will retry');
        msg.nak(delay);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function deadLetter(msg: JsMsg, reason: string) {
    log.error({ seq: msg.seq, subject: msg.subject, reason }, 'dead-lettering message');
    try {
      await recordDeadLetter(opts.js, opts.durable, msg, reason);
      msg.term(reason.slice(0, 200));
    } catch (err) {
      // Could not record it: leave it for redelivery rather than lose it.
      log.error({ err }, 'could not record dead letter; will retry');
      msg.nak(5000);
    }
  }

  return {
    done,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
