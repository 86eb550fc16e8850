import type { KV, Kvm } from '@nats-io/kv';
import { isWrongLastSequence, natsReplicas } from '@realtoros/messaging';

/** KV bucket of the daily cap's counters: key `<agent>.<YYYY-MM-DD>` (the agent's local date), value = sends reserved. */
export const DAILY_SENDS_BUCKET = 'sched_daily_sends';
/** A day's counter outlives the day (and any zone's lag behind UTC); the bucket drops it after that. */
export const DAILY_SENDS_TTL_MS = 3 * 86_400_000;

/** Opens (or creates) the counters' bucket. Idempotent; every scheduler replica calls it at start. */
export const openDailySendsBucket = (kvm: Kvm): Promise<KV> =>
  kvm.create(DAILY_SENDS_BUCKET, { history: 1, ttl: DAILY_SENDS_TTL_MS, replicas: natsReplicas() });

export const dailySendsKey = (agentId: string, localDate: string) => `${agentId}.${localDate}`;

export type DailySends = {
  /**
   * Reserves one automated email of `agentId` on local day `localDate`: true while fewer than
   * `cap` were reserved that day (the counter is then one higher), false once the cap is reached.
   */
  reserve(agentId: string, localDate: string, cap: number): Promise<boolean>;
  /** Gives back a reservation that sent nothing (the task moved on before its TaskDue). */
  release(agentId: string, localDate: string): Promise<void>;
  /** Reserved so far that day. */
  count(agentId: string, localDate: string): Promise<number>;
};

type Waiter = { cap: number; delta: 1 | -1; resolve(ok: boolean): void; reject(err: unknown): void };
type Known = { value: number; revision: number };

/**
 * The daily cap's counters, one KV key per agent and local day, moved by compare-and-set
 * (`create` when absent, `update` with the revision read): two ticker replicas, or an old
 * leader that has not noticed it lost the lease, can never reserve more than `cap` between
 * them. Within one process the reservations for one key are batched: while one CAS is in
 * flight the next callers queue, and the following CAS reserves for all of them at once (up
 * to the cap), so a burst of thousands of due emails costs a handful of writes, not a
 * conflict storm. The last value and revision written are remembered, so a batch usually
 * needs no read; a CAS that loses (another replica wrote) reads the key and tries again.
 */
export function createDailySends(kv: KV, opts: { maxAttempts?: number } = {}): DailySends {
  const maxAttempts = opts.maxAttempts ?? 20;
  const queues = new Map<string, Waiter[]>();
  const pumping = new Set<string>();
  const known = new Map<string, Known>();

  async function read(key: string): Promise<Known> {
    const e = await kv.get(key);
    if (e?.operation !== 'PUT') return { value: 0, revision: e?.revision ?? 0 };
    const n = Number(e.string());
    return { value: Number.isFinite(n) && n >= 0 ? n : 0, revision: e.revision };
  }

  async function write(key: string, current: Known, value: number): Promise<number> {
    // Revision 0: no key yet. A deleted or expired key: `create` writes over its marker.
    if (current.revision === 0) return kv.create(key, String(value));
    return kv.update(key, String(value), current.revision);
  }

  async function settle(key: string, batch: Waiter[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = known.get(key) ?? (await read(key));
      // Grant in arrival order: each reservation while the count stays under its caller's cap.
      let value = current.value;
      const granted: boolean[] = [];
      for (const w of batch) {
        if (w.delta === -1) {
          const ok = value > 0;
          if (ok) value--;
          granted.push(ok);
        } else {
          const ok = value < w.cap;
          if (ok) value++;
          granted.push(ok);
        }
      }
      try {
        if (value !== current.value) {
          const revision = await write(key, current, value);
          known.set(key, { value, revision });
        } else known.set(key, current);
        for (const [i, w] of batch.entries()) w.resolve(granted[i] === true);
        return;
      } catch (err) {
        known.delete(key);
        // Someone else moved the counter (or a cached revision went stale): read and try again.
        // (`create` on a key another replica created first fails the same way.)
        if (isWrongLastSequence(err) && attempt < maxAttempts) continue;
        throw err;
      }
    }
  }

  async function pump(key: string): Promise<void> {
    pumping.add(key);
    try {
      for (;;) {
        const batch = queues.get(key);
        if (!batch || batch.length === 0) break;
        queues.delete(key);
        try {
          await settle(key, batch);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      pumping.delete(key);
      if (known.size > 10_000) known.clear();
    }
  }

  function enqueue(agentId: string, localDate: string, cap: number, delta: 1 | -1): Promise<boolean> {
    const key = dailySendsKey(agentId, localDate);
    return new Promise<boolean>((resolve, reject) => {
      const q = queues.get(key);
      if (q) q.push({ cap, delta, resolve, reject });
      else queues.set(key, [{ cap, delta, resolve, reject }]);
      if (!pumping.has(key)) void pump(key);
    });
  }

  return {
    reserve: (agentId, localDate, cap) => enqueue(agentId, localDate, cap, 1),
    release: async (agentId, localDate) => {
      await enqueue(agentId, localDate, Number.POSITIVE_INFINITY, -1);
    },
    count: async (agentId, localDate) => (await read(dailySendsKey(agentId, localDate))).value,
  };
}
