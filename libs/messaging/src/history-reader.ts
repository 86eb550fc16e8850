import type { Envelope, EventType, StreamName } from '@realtoros/contracts';
import type { EventStore } from './event-store.ts';

export type HistoryReader = {
  /** Every event on one aggregate's subject, oldest first. */
  read(stream: StreamName, subject: string): Promise<Envelope[]>;
};

/**
 * An aggregate's events in the fewest reads. The subject's last message comes first (one
 * direct get): when it is an event that only ever opens a subject (`opensWith`: a client's
 * ClientCreated, an agent's AgentRegistered) it is the only one — a young client costs one
 * read instead of two (the event, then the read past the end). Otherwise a history kept from
 * an earlier read with the same last sequence is the same history (sequences on a subject
 * only grow), and one with a lower sequence needs only the newer events; else the subject is
 * walked up to that known last sequence, never past it. `cacheSize` histories are kept,
 * least recently used dropped first (0: none).
 */
export function historyReader(
  store: Pick<EventStore, 'readLast' | 'readSubject'>,
  opts: { opensWith: readonly EventType[]; cacheSize?: number },
): HistoryReader {
  const max = opts.cacheSize ?? 2000;
  const kept = new Map<string, { seq: number; events: Envelope[] }>();
  const keep = (subject: string, entry: { seq: number; events: Envelope[] }) => {
    if (max <= 0) return;
    kept.delete(subject);
    kept.set(subject, entry);
    if (kept.size > max) kept.delete(kept.keys().next().value as string);
  };
  return {
    async read(stream, subject) {
      const last = await store.readLast(stream, subject);
      if (!last) {
        kept.delete(subject);
        return [];
      }
      const hit = kept.get(subject);
      if (hit && hit.seq === last.seq) {
        keep(subject, hit);
        return hit.events;
      }
      let events: Envelope[];
      if (hit && hit.seq < last.seq) {
        const newer = await store.readSubject(stream, subject, { after: hit.seq, until: last.seq });
        events = [...hit.events, ...newer.events.map((e) => e.event)];
      } else if (opts.opensWith.includes(last.event.type)) {
        events = [last.event];
      } else {
        events = (await store.readSubject(stream, subject, { until: last.seq })).events.map((e) => e.event);
      }
      keep(subject, { seq: last.seq, events });
      return events;
    },
  };
}
