import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV, Kvm } from '@nats-io/kv';
import { isWrongLastSequence, natsReplicas } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';

export type Lease = {
  /** True while we hold the lease and have renewed it recently enough to trust it. */
  held(): boolean;
  /** Resolves when the lease is lost (or released), so work done under it can stop. */
  lost(): Promise<void>;
  /** Resolves when we hold the lease. */
  acquired(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A leader lease in a KV bucket whose TTL (the bucket's max_age; nats-server 2.9 has no
 * per-key TTL) hands it over when its holder dies: `create` wins once, the holder renews
 * with `update(key, value, revision)` a few times per TTL, and a holder that cannot renew
 * in time (disconnected, paused) considers itself deposed before anyone else can take over.
 */
export function runLease(opts: { kv: KV; key: string; holder: string; ttlMs: number; log: Logger }): Lease {
  const { kv, key, holder, ttlMs, log } = opts;
  const every = Math.max(100, Math.floor(ttlMs / 4));
  // Stop trusting the lease well before the server would let another replica take it.
  const trustFor = ttlMs - Math.max(every, Math.floor(ttlMs / 4));
  let revision = 0;
  let validUntil = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let onLost: (() => void)[] = [];
  let onAcquired: (() => void)[] = [];

  const isHeld = () => revision > 0 && Date.now() < validUntil;
  const lose = (why: string) => {
    if (revision > 0) log.warn({ holder, why }, 'ticker lease lost');
    revision = 0;
    validUntil = 0;
    const fns = onLost;
    onLost = [];
    for (const f of fns) f();
  };

  async function beat() {
    const started = Date.now();
    try {
      if (revision > 0 && started >= validUntil) lose('not renewed in time');
      if (revision > 0) {
        revision = await kv.update(key, holder, revision);
        validUntil = started + trustFor;
      } else {
        revision = await kv.create(key, holder);
        validUntil = started + trustFor;
        log.info({ holder }, 'ticker lease acquired');
        const fns = onAcquired;
        onAcquired = [];
        for (const f of fns) f();
      }
    } catch (err) {
      const wrongSeq = isWrongLastSequence(err);
      if (revision > 0 && wrongSeq) lose('another holder took it');
      else if (revision > 0 && Date.now() >= validUntil) lose('not renewed in time');
      // else: someone else holds it, or a transient error: try again next beat.
    }
    if (!stopped) timer = setTimeout(() => void beat(), every);
  }
  void beat();

  return {
    held: isHeld,
    lost: () => (isHeld() ? new Promise<void>((r) => onLost.push(r)) : Promise.resolve()),
    acquired: () => (isHeld() ? Promise.resolve() : new Promise<void>((r) => onAcquired.push(r))),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const rev = revision;
      lose('released');
      // Hand over at once on a clean shutdown rather than after the TTL.
      if (rev > 0) await kv.delete(key, { previousSeq: rev }).catch(() => {});
    },
  };
}

/**
 * Opens (or creates) the lease bucket with the configured TTL. An existing bucket keeps its
 * configuration when opened, so a changed TTL is applied to the bucket's stream here: the
 * holder's trust window must never outlast the server's expiry.
 */
export async function openLeaseBucket(kvm: Kvm, jsm: JetStreamManager, bucket: string, ttlMs: number): Promise<KV> {
  const kv = await kvm.create(bucket, { history: 1, ttl: ttlMs, replicas: natsReplicas() });
  const stream = `KV_${bucket}`;
  const info = await jsm.streams.info(stream);
  const maxAge = ttlMs * 1_000_000;
  if (info.config.max_age !== maxAge)
    await jsm.streams.update(stream, { ...info.config, max_age: maxAge, duplicate_window: Math.min(maxAge, 120_000_000_000) });
  return kv;
}
