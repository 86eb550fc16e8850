import { type Stack, startStack, startTcpProxy, type TcpProxy, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from './http.ts';

/**
 * Postgres really unreachable for this test's gateway and projector (and only for them: they
 * reach it through a TCP proxy that the test pauses; the shared server keeps serving every
 * other suite). crm keeps committing to JetStream. A committed write is reported as done,
 * with `Read-Your-Writes: pending`; a read is 503 with Retry-After; once Postgres is back
 * the write is there.
 */
describe('Postgres down: honest answers', () => {
  let stack: Stack;
  let proxy: TcpProxy;

  beforeAll(async () => {
    stack = await startStack(['crm'], { READ_YOUR_WRITES_TIMEOUT_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1500' });
    const target = new URL(stack.database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    // `start` reads this same env object: the projector and gateway connect through the proxy.
    stack.env.DATABASE_URL = proxy.rewrite(stack.database.url);
    await stack.start('projector');
    await stack.start('gateway');
  });
  afterAll(async () => {
    await stack?.dispose();
    await proxy?.close();
  });

  it('writes the crm committed answer 201/200/204 with Read-Your-Writes: pending; reads answer 503 + Retry-After; after recovery all is there', async () => {
    const { api, email } = await signUp(stack.api, 'Dana');
    const before = await api.post('/api/clients', { name: 'Before Outage', email: 'before@example.com' });
    expect(before.status, `${JSON.stringify(before.body)} ${stack.services.get('gateway')?.output().slice(-3000)}`).toBe(201);
    expect(before.headers.get('read-your-writes')).toBeNull();

    proxy.pause('refuse');

    const t0 = Date.now();
    const created = await api.post('/api/clients', {
      name: 'During Outage',
      email: 'during@example.com',
      notes: 'added while Postgres was down',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('read-your-writes')).toBe('pending');
    expect(created.body).toMatchObject({
      name: 'During Outage',
      email: 'during@example.com',
      notes: 'added while Postgres was down',
      stage: 'lead',
    });
    expect(created.body.id).toEqual(expect.any(String));
    expect(Date.now() - t0).toBeLessThan(5000);
    const id = created.body.id as string;

    const patched = await api.patch(`/api/clients/${id}`, { stage: 'qualified' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.headers.get('read-your-writes')).toBe('pending');
    expect(patched.body).toMatchObject({ id, stage: 'qualified' });

    const doomed = before.body.id as string;
    const deleted = await api.del(`/api/clients/${doomed}`);
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('read-your-writes')).toBe('pending');

    // The crm's uniqueness rule still holds without Postgres: the write was real.
    expect((await api.post('/api/clients', { name: 'Again', email: 'during@example.com' })).status).toBe(409);

    const reads = ['/api/clients', `/api/clients/${id}`, '/api/tasks', '/api/emails', '/api/dashboard/stats', '/api/auth/me'];
    // Issue 8's reads, and a preview (a read that computes): the same 503, never a 500.
    const someId = '0190a0a0-0000-7000-8000-000000000000';
    reads.push('/api/plans', `/api/plans/${someId}`, '/api/settings', `/api/tasks/${someId}/trail`, `/api/emails/${someId}/trail`);
    reads.push('/api/clients/export.csv'); // issue 10: the export's first read comes before any byte is sent
    const preview = await api.post(`/api/plans/${someId}/preview`, { name: 'x' });
    expect(preview.status, JSON.stringify(preview.body)).toBe(503);
    for (const path of reads) {
      const r = await api.get(path);
      expect(r.status, path).toBe(503);
      expect(r.headers.get('retry-after'), path).toMatch(/^\d+$/);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(r.body, path).toMatchObject({ status: 503, title: 'Service unavailable', detail: expect.stringMatching(/database/) });
    }
    const login = await apiClient(stack.api).post('/api/auth/login', { email, password: 'correct-horse-1' });
    expect(login.status).toBe(503);

    const ready = await apiClient(stack.api).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(ready.body).toMatchObject({ status: 503, checks: { nats: true, postgres: false }, detail: expect.stringMatching(/Postgres/) });
    expect((await apiClient(stack.api).get('/healthz')).status).toBe(200);

    proxy.resume();

    // The outage's three writes, projected in order once Postgres is back.
    const back = await waitFor(
      async () => {
        const r = await api.get(`/api/clients/${id}`);
        const gone = (await api.get(`/api/clients/${doomed}`)).status === 404;
        return r.status === 200 && r.body.stage === 'qualified' && gone ? r : null;
      },
      { timeoutMs: 30_000, what: 'the writes made during the outage to be projected' },
    );
    expect(back.body).toMatchObject({ name: 'During Outage', notes: 'added while Postgres was down' });
    const list = await api.get('/api/clients');
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await api.get(`/api/clients/${doomed}`)).status).toBe(404);
    expect((await apiClient(stack.api).get('/readyz')).status).toBe(200);

    // And writes confirm their reads again.
    const after = await api.post('/api/clients', { name: 'After Outage', email: 'after@example.com' });
    expect(after.status).toBe(201);
    expect(after.headers.get('read-your-writes')).toBeNull();
  });

  it('a silent Postgres (partition: connections open, no answers): reads 503 within the query timeout, a committed write 201 pending', async () => {
    const { api } = await signUp(stack.api, 'Pat');
    expect((await api.get('/api/clients')).status).toBe(200); // pooled connections exist, then go silent

    proxy.pause('blackhole');

    let t0 = Date.now();
    const read = await api.get('/api/clients');
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Date.now() - t0).toBeLessThan(8000);

    t0 = Date.now();
    const created = await api.post('/api/clients', { name: 'In The Partition', email: 'partition@example.com' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('read-your-writes')).toBe('pending');
    expect(created.body).toMatchObject({ name: 'In The Partition' });
    expect(Date.now() - t0).toBeLessThan(10_000);

    t0 = Date.now();
    const ready = await apiClient(stack.api).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ nats: true, postgres: false });
    expect(Date.now() - t0).toBeLessThan(4000);

    proxy.resume();
    await waitFor(async () => (await api.get(`/api/clients/${created.body.id}`)).status === 200, {
      timeoutMs: 30_000,
      what: 'the client written during the partition to be projected',
    });
  });
});
