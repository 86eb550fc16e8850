import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type StreamName, subjects } from '@realtoros/contracts';

/**
 * How far the projector has committed each stream, as it announces after every commit
 * (`projector.projected.<stream>`, core NATS). Read-your-writes waits here for the write's
 * sequence instead of polling Postgres: the answer leaves as soon as the read model has it,
 * and no query is spent asking. Announcements are best effort (core NATS, a gateway that
 * started after the last one), so the waiter also asks Postgres now and then (`poll`).
 */
export type ProjectionWatch = {
  /** True once `stream` is projected at or past `seq`; false when `deadline` (epoch ms) passes first. */
  waitFor(stream: StreamName, seq: number, deadline: number, poll: () => Promise<number>): Promise<boolean>;
  close(): void;
};

/** How often a waiter also asks Postgres, in case an announcement was missed. */
const POLL_EVERY_MS = 250;

export function watchProjection(nc: NatsConnection): ProjectionWatch {
  const seen = new Map<string, number>();
  const waiters = new Map<string, Set<{ seq: number; wake: () => void }>>();
  const note = (stream: string, seq: number) => {
    if (!(seq > (seen.get(stream) ?? 0))) return;
    seen.set(stream, seq);
    for (const w of waiters.get(stream) ?? []) if (w.seq <= seq) w.wake();
  };
  const sub: Subscription = nc.subscribe(subjects.projected('*'), {
    callback: (err, m) => {
      if (err) return;
      note(m.subject.slice(m.subject.lastIndexOf('.') + 1), Number(m.string()));
    },
  });

  return {
    async waitFor(stream, seq, deadline, poll) {
      if ((seen.get(stream) ?? 0) >= seq) return true;
      const set = waiters.get(stream) ?? new Set();
      waiters.set(stream, set);
      let wake = () => {};
      const announced = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const waiter = { seq, wake: () => wake() };
      set.add(waiter);
      try {
        for (;;) {
          // Postgres is asked only after a full pause: under load a write takes longer than a
          // few ms to be projected, and an early look costs every write one more query for
          // nothing (announcements arrive); only a missed one waits the pause.
          const pause = POLL_EVERY_MS;
          const left = deadline - Date.now();
          if (left <= 0) return false;
          let timer: NodeJS.Timeout | undefined;
          const woke = await Promise.race([
            announced.then(() => true),
            new Promise<false>((resolve) => {
              timer = setTimeout(() => resolve(false), Math.min(pause, left));
            }),
          ]);
          clearTimeout(timer);
          if (woke || (seen.get(stream) ?? 0) >= seq) return true;
          const projected = await poll();
          note(stream, projected);
          if (projected >= seq) return true;
        }
      } finally {
        set.delete(waiter);
      }
    },
    close: () => sub.unsubscribe(),
  };
}
