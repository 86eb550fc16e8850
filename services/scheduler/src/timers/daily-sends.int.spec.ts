import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { startJetStream, type TestJetStream } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDailySends, DAILY_SENDS_BUCKET, dailySendsKey, openDailySendsBucket } from './daily-sends.ts';

describe('daily sends counter (KV, compare-and-set; real NATS)', () => {
  let js: TestJetStream;
  let kvm: Kvm;
  beforeAll(async () => {
    js = await startJetStream([]);
    kvm = new Kvm(js.nc);
  });
  afterAll(async () => js?.dispose());

  it('two replicas reserving 500 at once against a cap of 300: exactly 300 granted, and the counter says 300', async () => {
    const [a, b] = [createDailySends(await openDailySendsBucket(kvm)), createDailySends(await openDailySendsBucket(kvm))];
    const agent = randomUUID();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2 ? a : b).reserve(agent, '2026-11-24', 300)));
    expect(results.filter(Boolean)).toHaveLength(300);
    expect(await a.count(agent, '2026-11-24')).toBe(300);
    // Another day, another counter; the key is `<agent>.<local date>`.
    expect(await b.reserve(agent, '2026-11-25', 300)).toBe(true);
    const kv = await openDailySendsBucket(kvm);
    expect((await kv.get(dailySendsKey(agent, '2026-11-25')))?.string()).toBe('1');
  });

  it('a release gives a reservation back (never below zero); a cap lowered mid-day grants nothing more', async () => {
    const sends = createDailySends(await openDailySendsBucket(kvm));
    const agent = randomUUID();
    for (let i = 0; i < 5; i++) expect(await sends.reserve(agent, '2026-11-24', 5)).toBe(true);
    expect(await sends.reserve(agent, '2026-11-24', 5)).toBe(false);
    await sends.release(agent, '2026-11-24');
    expect(await sends.count(agent, '2026-11-24')).toBe(4);
    expect(await sends.reserve(agent, '2026-11-24', 3)).toBe(false);
    const other = randomUUID();
    await sends.release(other, '2026-11-24');
    expect(await sends.count(other, '2026-11-24')).toBe(0);
  });

  it('a counter another replica moved (a stale cached revision) is read again, not overwritten', async () => {
    const [a, b] = [createDailySends(await openDailySendsBucket(kvm)), createDailySends(await openDailySendsBucket(kvm))];
    const agent = randomUUID();
    expect(await a.reserve(agent, '2026-11-24', 10)).toBe(true); // a caches revision r1
    expect(await b.reserve(agent, '2026-11-24', 10)).toBe(true);
    expect(await b.reserve(agent, '2026-11-24', 10)).toBe(true);
    expect(await a.reserve(agent, '2026-11-24', 10)).toBe(true); // r1 is stale: CAS fails, reads 3, writes 4
    expect(await a.count(agent, '2026-11-24')).toBe(4);
  });

  it('the bucket keeps a day for three days', async () => {
    await openDailySendsBucket(kvm);
    const info = await js.store.jsm.streams.info(`KV_${DAILY_SENDS_BUCKET}`);
    expect(info.config.max_age).toBe(3 * 86_400_000 * 1_000_000);
    expect(info.config.max_msgs_per_subject).toBe(1);
  });
});
