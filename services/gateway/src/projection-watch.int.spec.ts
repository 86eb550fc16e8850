import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjects } from '@realtoros/contracts';
import { startNats, type TestNats } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchProjection } from './projection-watch.ts';

describe('read-your-writes waits on the projector’s announcements (real nats-server)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('an announcement at or past the write wakes the waiter at once, without asking Postgres', async () => {
    const watch = watchProjection(nc);
    await nc.flush();
    let polls = 0;
    const started = Date.now();
    const waiting = watch.waitFor('CRM', 42, Date.now() + 5000, async () => {
      polls++;
      return 0;
    });
    setTimeout(() => nc.publish(subjects.projected('CRM'), '43'), 5);
    expect(await waiting).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
    // Known already: answered without waiting; another stream is not confused with it.
    expect(await watch.waitFor('CRM', 43, Date.now() + 1000, async () => 0)).toBe(true);
    expect(await watch.waitFor('SCHEDULER', 1, Date.now() + 100, async () => 0)).toBe(false);
    expect(polls).toBeLessThanOrEqual(1);
    watch.close();
  });

  it('a missed announcement: the checkpoint in Postgres answers; past the deadline → false', async () => {
    const watch = watchProjection(nc);
    let checkpoint = 0;
    setTimeout(() => {
      checkpoint = 7;
    }, 300);
    expect(await watch.waitFor('AI', 7, Date.now() + 3000, async () => checkpoint)).toBe(true);
    const started = Date.now();
    expect(await watch.waitFor('MAILER', 9, Date.now() + 400, async () => 3)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    watch.close();
  });

  it('many concurrent writers each wake at their own sequence, not before', async () => {
    const watch = watchProjection(nc);
    await nc.flush();
    const woke: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) =>
      watch.waitFor('CRM', 1000 + i, Date.now() + 5000, async () => 0).then((ok) => ok && woke.push(1000 + i)),
    );
    nc.publish(subjects.projected('CRM'), '1024');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect([...woke].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => 1000 + i));
    nc.publish(subjects.projected('CRM'), '1049');
    await Promise.all(all);
    expect(woke).toHaveLength(50);
    watch.close();
  });
});
