import { createLogger, readiness, startHealthServer } from '@realtoros/observability';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startNats,
  startService,
  type TestDatabase,
  type TestNats,
  waitFor,
} from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const log = createLogger('health-test', 'silent');
const get = async (port: number, path: string) => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: (await r.json()) as { status: string; checks?: Record<string, boolean> } };
};

describe('health endpoint (libs/observability)', () => {
  it('is ready only when every check passes; a check that hangs counts as failed within the timeout', async () => {
    const started = Date.now();
    const r = await readiness(
      {
        ok: async () => undefined,
        no: async () => false,
        throws: async () => Promise.reject(new Error('x')),
        hangs: () => new Promise(() => {}),
      },
      200,
    );
    expect(r).toEqual({ ready: false, checks: { ok: true, no: false, throws: false, hangs: false } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await readiness({ ok: async () => true }, 200)).toEqual({ ready: true, checks: { ok: true } });
  });

  it('answers /healthz, /readyz and 404; a taken port leaves the service running without it; 0 = none', async () => {
    let up = true;
    const port = await freePort();
    const health = await startHealthServer({ port, host: '127.0.0.1', log, checks: { dep: async () => up } });
    expect(health.port).toBe(port);
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { dep: true } } });
    up = false;
    expect(await get(port, '/readyz')).toEqual({ status: 503, body: { status: 'not ready', checks: { dep: false } } });
    expect((await get(port, '/nope')).status).toBe(404);

    const second = await startHealthServer({ port, host: '127.0.0.1', log, checks: {} });
    expect(second.port).toBe(0);
    expect((await startHealthServer({ port: 0, log, checks: {} })).port).toBe(0);
    await health.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('rethrows a bind error other than a taken port', async () => {
    // An address this machine does not have: EADDRNOTAVAIL is a configuration error, not a sibling replica.
    await expect(startHealthServer({ port: await freePort(), host: '203.0.113.7', log, checks: {} })).rejects.toThrow(/EADDRNOTAVAIL/);
  });
});

describe('health endpoint of the real services', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  const procs: ServiceProcess[] = [];
  const ports = { crm: 0, projector: 0 };

  beforeAll(async () => {
    nats = await startNats();
    pg = await createTestDatabase({ migrate: true });
    ports.crm = await freePort();
    ports.projector = await freePort();
    const env = { NATS_URL: nats.url, DATABASE_URL: pg.url };
    procs.push(startService('crm', { ...env, HEALTH_PORT: String(ports.crm) }));
    procs.push(startService('projector', { ...env, HEALTH_PORT: String(ports.projector) }));
    for (const port of Object.values(ports))
      await waitFor(async () => (await get(port, '/readyz').catch(() => null))?.status === 200, {
        timeoutMs: 20_000,
        what: `readyz on ${port}`,
      });
  }, 40_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await nats?.dispose();
    await pg?.dispose();
  });

  it('crm and projector are ready with NATS (and Postgres) up, not ready while NATS is down, ready again after', async () => {
    expect(await get(ports.crm, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { nats: true } } });
    expect(await get(ports.projector, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { nats: true, postgres: true } },
    });
    if (!nats.owned) return; // a shared server cannot be stopped here

    await nats.stop();
    for (const port of Object.values(ports)) {
      const r = await waitFor(
        async () => {
          const res = await get(port, '/readyz');
          return res.status === 503 ? res : null;
        },
        { timeoutMs: 10_000, what: `readyz 503 on ${port}` },
      );
      expect(r.body.checks?.nats).toBe(false);
      // Liveness stays up: a NATS outage is not a reason for Kubernetes to restart the pod.
      expect(await get(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    }
    expect((await get(ports.projector, '/readyz')).body.checks?.postgres).toBe(true);

    await nats.start();
    for (const port of Object.values(ports))
      await waitFor(async () => (await get(port, '/readyz')).status === 200, { timeoutMs: 20_000, what: `readyz 200 again on ${port}` });
  }, 60_000);
});
