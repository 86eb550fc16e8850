import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { type Envelope, EVENTS, type StreamName } from '@realtoros/contracts';
import { childTraceparent } from '@realtoros/observability';
import { ConcurrencyError } from './errors.ts';
import { decodeEvent, subjectOf } from './events.ts';
import { isWrongLastSequence } from './nats-errors.ts';

export type AppendOptions = {
  /**
   * Optimistic concurrency: the subject's last sequence we decided on (0 = "no event yet").
   * Omit to append unconditionally.
   */
  expectedLastSubjectSeq?: number;
  traceparent?: string | null;
  /**
   * Recorded history (the demo's past; a book brought over from another CRM): the read
   * models project it, but no service acts on it — it is acked by every reactor unread
   * (runConsumer), because what it describes already happened: nothing is to be planned,
   * written or sent for it now.
   */
  history?: boolean;
};
/** The header that marks an event as recorded history (AppendOptions.history). */
export const HISTORY_HEADER = 'Realtoros-History';
export type AppendResult = { stream: StreamName; seq: number; duplicate: boolean };
export type StoredEvent = { event: Envelope; seq: number; subject: string };

/** Appends and reads domain events on JetStream (one subject per aggregate instance). */
export type EventStore = {
  append(event: Envelope, opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Every event on one aggregate's subject, oldest first, and the subject's last sequence.
   * `after`: only those past this sequence; `until`: the subject's last sequence when the
   * caller knows it (the walk then stops there instead of asking once more to find the end).
   */
  readSubject(
    stream: StreamName,
    subject: string,
    range?: { after?: number; until?: number },
  ): Promise<{ events: StoredEvent[]; lastSeq: number }>;
  /** The event stored at one stream sequence, or null when there is none (deleted, purged). */
  readAt(stream: StreamName, seq: number): Promise<StoredEvent | null>;
  /** The last event on one subject, or null when the subject is empty. */
  readLast(stream: StreamName, subject: string): Promise<StoredEvent | null>;
  js: JetStreamClient;
  jsm: JetStreamManager;
};

export async function createEventStore(nc: NatsConnection): Promise<EventStore> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  async function append(event: Envelope, opts: AppendOptions = {}): Promise<AppendResult> {
    const subject = subjectOf(event);
    const h = headers();
    h.set('Event-Type', event.type);
    h.set('traceparent', childTraceparent(opts.traceparent));
    if (opts.history) h.set(HISTORY_HEADER, 'recorded');
    try {
      const ack = await js.publish(subject, JSON.stringify(event), {
        msgID: event.id,
        headers: h,
        ...(opts.expectedLastSubjectSeq !== undefined ? { expect: { lastSubjectSequence: opts.expectedLastSubjectSeq } } : {}),
      });
      return { stream: ack.stream as StreamName, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      if (isWrongLastSequence(err)) throw new ConcurrencyError(subject, { cause: err });
      throw err;
    }
  }

  async function readSubject(stream: StreamName, subject: string, range: { after?: number; until?: number } = {}) {
    const events: StoredEvent[] = [];
    let seq = (range.after ?? 0) + 1;
    let lastSeq = range.after ?? 0;
    // Direct get walks the subject's messages one by one: aggregates hold few events.
    while (range.until === undefined || seq <= range.until) {
      const m = await jsm.direct.getMessage(stream, { seq, next_by_subj: subject });
      if (!m) break;
      events.push({ event: decodeEvent(m.data), seq: m.seq, subject: m.subject });
      lastSeq = m.seq;
      seq = m.seq + 1;
    }
    return { events, lastSeq };
  }

  async function readAt(stream: StreamName, seq: number): Promise<StoredEvent | null> {
    const m = await jsm.direct.getMessage(stream, { seq });
    return m ? { event: decodeEvent(m.data), seq: m.seq, subject: m.subject } : null;
  }

  async function readLast(stream: StreamName, subject: string): Promise<StoredEvent | null> {
    const m = await jsm.direct.getMessage(stream, { last_by_subj: subject });
    return m ? { event: decodeEvent(m.data), seq: m.seq, subject: m.subject } : null;
  }

  return { append, readSubject, readAt, readLast, js, jsm };
}

export const streamOf = (event: Envelope): StreamName => EVENTS[event.type].stream;
