import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql } from '@realtoros/db';
import { type Stack, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_BUCKET, recordKey } from '../../services/gateway/src/plugins/idempotency.ts';
import { type ApiResponse, apiClient, signUp } from './http.ts';

type Api = ReturnType<typeof apiClient>;

/**
 * Retry-safe writes on the real stack (gateway → crm/scheduler over NATS → JetStream →
 * projector → Postgres): Idempotency-Key (kept in a NATS KV bucket), ETag / If-Match
 * (checked by the owning service against the aggregate's stream sequence).
 */
describe('retry-safe API on the real stack', () => {
  let stack: Stack;
  let nc: NatsConnection;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
    nc = await connect({ servers: stack.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
  });

  const withKey = (key: string, extra: Record<string, string> = {}) => ({ 'idempotency-key': key, ...extra });
  /** The client's own events (its history also lists its enrolment's, tasks' and emails'). */
  const events = async (api: Api, clientId: string) =>
    ((await api.get(`/api/clients/${clientId}/events`)).body.items as { type: string; aggregate: string }[])
      .filter((e) => e.aggregate === 'client')
      .map((e) => e.type);
  const problem = (r: ApiResponse, status: number) => {
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  };

  describe('Idempotency-Key', () => {
    it('the same POST twice → one client and two identical answers; the second says it is a replay', async () => {
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      const body = { name: 'Ada Retry', email: 'ada@example.com', custom_fields: { budget: 1, area: 'north' } };
      const first = await api.call('POST', '/api/clients', body, withKey(key));
      // Same body with its keys in another order: the same request.
      const second = await api.call(
        'POST',
        '/api/clients',
        { custom_fields: { area: 'north', budget: 1 }, email: 'ada@example.com', name: 'Ada Retry' },
        withKey(key),
      );
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const list = await api.get('/api/clients');
      expect(list.body.total).toBe(1);
      expect(await events(api, first.body.id)).toEqual(['ClientCreated']);
      // One plan of follow-ups, not two.
      await waitFor(async () => (await api.get(`/api/clients/${first.body.id}/tasks`)).body.total === 5, { what: 'five planned tasks' });
    });

    it('the same key with another body → 422 problem details and nothing written', async () => {
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      expect((await api.call('POST', '/api/clients', { name: 'Bo', email: 'bo@example.com' }, withKey(key))).status).toBe(201);
      const other = await api.call('POST', '/api/clients', { name: 'Bo Two', email: 'bo2@example.com' }, withKey(key));
      problem(other, 422);
      expect(other.body.detail).toMatch(/different request/);
      // Another route with the same key is another request too.
      problem(
        await api.call('POST', '/api/tasks', { client_id: randomUUID(), scheduled_for: new Date().toISOString() }, withKey(key)),
        422,
      );
      expect((await api.get('/api/clients')).body.total).toBe(1);
      expect((await api.get('/api/clients?q=bo2')).body.total).toBe(0);
    });

    it('two (five) at once with one key → one executes, every answer identical', async () => {
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      const body = { name: 'Cy Concurrent', email: 'cy@example.com' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => api.call('POST', '/api/clients', body, withKey(key))));
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
      for (const a of answers) expect(a.body).toEqual(answers[0]?.body);
      expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
      expect((await api.get('/api/clients')).body.total).toBe(1);
      expect(await events(api, answers[0]?.body.id)).toEqual(['ClientCreated']);
    });

    it('keys are per agent: another agent with the same key gets its own write', async () => {
      const a = await signUp(stack.api);
      const b = await signUp(stack.api);
      const key = 'shared-key-1';
      const body = { name: 'Dee', email: 'dee@example.com' };
      const ra = await a.api.call('POST', '/api/clients', body, withKey(key));
      const rb = await b.api.call('POST', '/api/clients', body, withKey(key));
      expect([ra.status, rb.status]).toEqual([201, 201]);
      expect(rb.body.id).not.toBe(ra.body.id);
      expect(rb.headers.get('idempotent-replayed')).toBeNull();
    });

    it('PATCH and DELETE with a key: the retry replays (one ClientUpdated; the second DELETE is 204, not 404)', async () => {
      const { api } = await signUp(stack.api);
      const id = (await api.post('/api/clients', { name: 'Ed', email: 'ed@example.com' })).body.id;
      const pk = randomUUID();
      const p1 = await api.call('PATCH', `/api/clients/${id}`, { phone: '555-0101' }, withKey(pk));
      const p2 = await api.call('PATCH', `/api/clients/${id}`, { phone: '555-0101' }, withKey(pk));
      expect([p1.status, p2.status]).toEqual([200, 200]);
      expect(p2.body).toEqual(p1.body);
      expect(await events(api, id)).toEqual(['ClientCreated', 'ClientUpdated']);
      const dk = randomUUID();
      const d1 = await api.call('DELETE', `/api/clients/${id}`, undefined, withKey(dk));
      const d2 = await api.call('DELETE', `/api/clients/${id}`, undefined, withKey(dk));
      expect([d1.status, d2.status]).toEqual([204, 204]);
      expect(d2.headers.get('idempotent-replayed')).toBe('true');
      // Without a key, a second DELETE is a new request: 404.
      expect((await api.del(`/api/clients/${id}`)).status).toBe(404);
    });

    it('4xx answers are kept and replayed; a body that fails validation keeps nothing (the key stays usable)', async () => {
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      const missing = { client_id: randomUUID(), scheduled_for: new Date(Date.now() + 86_400_000).toISOString() };
      const r1 = await api.call('POST', '/api/tasks', missing, withKey(key));
      const r2 = await api.call('POST', '/api/tasks', missing, withKey(key));
      problem(r1, 404);
      expect(r2.status).toBe(404);
      expect(r2.body).toEqual(r1.body);
      expect(r2.headers.get('idempotent-replayed')).toBe('true');

      const k2 = randomUUID();
      problem(await api.call('POST', '/api/clients', { name: 'No Email' }, withKey(k2)), 400);
      expect((await api.call('POST', '/api/clients', { name: 'Fi', email: 'fi@example.com' }, withKey(k2))).status).toBe(201);
    });

    it('a malformed key → 400 problem details, nothing written', async () => {
      const { api } = await signUp(stack.api);
      for (const key of ['x'.repeat(256), 'clé']) {
        const r = await api.call('POST', '/api/clients', { name: 'Gil', email: 'gil@example.com' }, withKey(key));
        problem(r, 400);
        expect(r.body.errors?.[0]?.pointer).toBe('/headers/idempotency-key');
      }
      expect((await api.get('/api/clients')).body.total).toBe(0);
      expect((await api.call('POST', '/api/clients', { name: 'Gil', email: 'gil@example.com' }, withKey('x'.repeat(255)))).status).toBe(
        201,
      );
    });

    it('a 503 (service down) is not kept: the same key runs again once the service is back', async () => {
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      const body = { name: 'Hal Outage', email: 'hal@example.com' };
      await stack.stop('crm');
      try {
        const down = await api.call('POST', '/api/clients', body, withKey(key));
        problem(down, 503);
      } finally {
        await stack.start('crm');
      }
      const again = await waitFor(
        async () => {
          const r = await api.call('POST', '/api/clients', body, withKey(key));
          return r.status === 503 ? null : r;
        },
        { timeoutMs: 20_000, what: 'crm back' },
      );
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect((await api.get('/api/clients')).body.total).toBe(1);
    });

    it('the command id derives from the key: a lost record (gateway died before keeping the answer) runs the same command, no second client', async () => {
      const { api, agent } = await signUp(stack.api);
      const key = randomUUID();
      const body = { name: 'Ivy Crash', email: 'ivy@example.com' };
      const first = await api.call('POST', '/api/clients', body, withKey(key));
      expect(first.status).toBe(201);
      // What a gateway crash between the command and the record leaves: no record at all.
      const kv = await new Kvm(nc).open(IDEMPOTENCY_BUCKET);
      await kv.purge(recordKey(agent.id, key));
      const rerun = await api.call('POST', '/api/clients', body, withKey(key));
      expect(rerun.headers.get('idempotent-replayed')).toBeNull();
      // crm derives the client id from the command id: the same client, never a second one.
      expect([201, 409]).toContain(rerun.status);
      if (rerun.status === 201) expect(rerun.body.id).toBe(first.body.id);
      expect((await api.get('/api/clients')).body.total).toBe(1);
      expect(await events(api, first.body.id)).toEqual(['ClientCreated']);
    });

    it('a request still in flight elsewhere: a duplicate waits, then answers 409 + Retry-After; once the holder’s lease has run out (its gateway died), the key is taken over and runs', async () => {
      const { api, agent } = await signUp(stack.api);
      const kv = await new Kvm(nc).open(IDEMPOTENCY_BUCKET);
      const path = `/api/clients/${(await api.post('/api/clients', { name: 'Sol Lease', email: 'sol@example.com' })).body.id}`;
      const body = { phone: '555-0104' };
      // The request's fingerprint as the gateway computes it, taken from a first run under another key.
      const probe = randomUUID();
      expect((await api.call('PATCH', path, body, withKey(probe))).status).toBe(200);
      const fingerprint = (await kv.get(recordKey(agent.id, probe)))?.json<{ fingerprint: string }>().fingerprint;
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);

      // Another gateway holds the key and is still working on it.
      const key = randomUUID();
      const rk = recordKey(agent.id, key);
      await kv.put(rk, JSON.stringify({ state: 'pending', fingerprint, lease_until: Date.now() + 600_000 }));
      const t0 = Date.now();
      const inFlight = await api.call('PATCH', path, body, withKey(key));
      problem(inFlight, 409);
      expect(inFlight.body.title).toBe('Request in progress');
      expect(inFlight.headers.get('retry-after')).toBe('1');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(7000); // it waited COMMAND_TIMEOUT_MS + READ_YOUR_WRITES_TIMEOUT_MS first

      // That gateway died: once its lease has ended, the next retry takes the key over and runs.
      await kv.put(rk, JSON.stringify({ state: 'pending', fingerprint, lease_until: Date.now() - 1 }));
      const taken = await api.call('PATCH', path, body, withKey(key));
      expect(taken.status).toBe(200);
      expect(taken.headers.get('idempotent-replayed')).toBeNull();
      expect((await kv.get(rk))?.json<{ state: string; status: number }>()).toMatchObject({ state: 'done', status: 200 });
    }, 60_000);

    it('records live in a KV bucket with a 24 h TTL', async () => {
      const kv = await new Kvm(nc).open(IDEMPOTENCY_BUCKET);
      expect((await kv.status()).ttl).toBe(24 * 3600 * 1000);
    });

    it('without the header nothing changes: two identical POSTs are two requests (201, then 409 for the email)', async () => {
      const { api } = await signUp(stack.api);
      const body = { name: 'Jo Plain', email: 'jo@example.com' };
      const r1 = await api.post('/api/clients', body);
      const r2 = await api.post('/api/clients', body);
      expect([r1.status, r2.status]).toEqual([201, 409]);
      expect(r1.headers.get('idempotent-replayed')).toBeNull();
      // Webhooks are not under it: the header is simply ignored there (401: unsigned).
      const wh = await apiClient(stack.api).call('POST', '/webhook/sendgrid', [], withKey('x'));
      expect(wh.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  describe('ETag / If-Match', () => {
    const newClient = async (api: Api, name = 'Kim Version') => {
      const r = await api.post('/api/clients', { name, email: `${randomUUID().slice(0, 8)}@example.com` });
      expect(r.status).toBe(201);
      return r;
    };

    it('GET and the write answers carry a strong ETag from the aggregate sequence; it changes with each write', async () => {
      const { api } = await signUp(stack.api);
      const created = await newClient(api);
      const id = created.body.id;
      const tag0 = created.headers.get('etag');
      expect(tag0).toMatch(/^"[1-9][0-9]*"$/);
      expect((await api.get(`/api/clients/${id}`)).headers.get('etag')).toBe(tag0);
      const patched = await api.call('PATCH', `/api/clients/${id}`, { phone: '555-0102' }, { 'if-match': tag0 ?? '' });
      expect(patched.status).toBe(200);
      const tag1 = patched.headers.get('etag');
      expect(tag1).toMatch(/^"[1-9][0-9]*"$/);
      expect(Number(tag1?.slice(1, -1))).toBeGreaterThan(Number(tag0?.slice(1, -1)));
      expect((await api.get(`/api/clients/${id}`)).headers.get('etag')).toBe(tag1);
    });

    it('PATCH with a stale ETag → 412 and nothing written; with the current one → 200', async () => {
      const { api } = await signUp(stack.api);
      const created = await newClient(api, 'Lee Stale');
      const id = created.body.id;
      const stale = created.headers.get('etag') ?? '';
      const current = (await api.patch(`/api/clients/${id}`, { phone: '555-0103' })).headers.get('etag') ?? '';
      const refused = await api.call('PATCH', `/api/clients/${id}`, { name: 'Overwritten' }, { 'if-match': stale });
      problem(refused, 412);
      const after = await api.get(`/api/clients/${id}`);
      expect(after.body.name).toBe('Lee Stale');
      expect(after.headers.get('etag')).toBe(current);
      expect(await events(api, id)).toEqual(['ClientCreated', 'ClientUpdated']);
      expect((await api.call('PATCH', `/api/clients/${id}`, { name: 'Lee Fresh' }, { 'if-match': current })).status).toBe(200);
    });

    it('two writers with the same ETag at once: exactly one wins, the other gets 412', async () => {
      const { api } = await signUp(stack.api);
      const created = await newClient(api, 'Mo Race');
      const tag = created.headers.get('etag') ?? '';
      const [a, b] = await Promise.all([
        api.call('PATCH', `/api/clients/${created.body.id}`, { name: 'Mo A' }, { 'if-match': tag }),
        api.call('PATCH', `/api/clients/${created.body.id}`, { name: 'Mo B' }, { 'if-match': tag }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      expect(await events(api, created.body.id)).toEqual(['ClientCreated', 'ClientUpdated']);
    });

    it('DELETE with a stale ETag → 412 and the client stays; If-Match: * needs it to exist', async () => {
      const { api } = await signUp(stack.api);
      const created = await newClient(api, 'Ned Delete');
      const id = created.body.id;
      const stale = created.headers.get('etag') ?? '';
      await api.patch(`/api/clients/${id}`, { notes: 'changed' });
      problem(await api.call('DELETE', `/api/clients/${id}`, undefined, { 'if-match': stale }), 412);
      expect((await api.get(`/api/clients/${id}`)).status).toBe(200);
      expect((await api.call('DELETE', `/api/clients/${id}`, undefined, { 'if-match': '*' })).status).toBe(204);
      problem(await api.call('DELETE', `/api/clients/${id}`, undefined, { 'if-match': '*' }), 412);
      problem(await api.call('PATCH', `/api/clients/${randomUUID()}`, { name: 'x' }, { 'if-match': '*' }), 412);
    });

    it('a malformed If-Match → 400; a weak or foreign tag never matches → 412; nothing written', async () => {
      const { api } = await signUp(stack.api);
      const created = await newClient(api, 'Oz Header');
      const id = created.body.id;
      const tag = created.headers.get('etag') ?? '';
      for (const bad of ['42', 'W/42', '"1", "2"', '"unterminated']) {
        const r = await api.call('PATCH', `/api/clients/${id}`, { name: 'bad' }, { 'if-match': bad });
        problem(r, 400);
        expect(r.body.errors?.[0]?.pointer).toBe('/headers/if-match');
      }
      for (const never of [`W/${tag}`, '"abc"'])
        problem(await api.call('PATCH', `/api/clients/${id}`, { name: 'never' }, { 'if-match': never }), 412);
      expect(await events(api, id)).toEqual(['ClientCreated']);
    });

    const newTask = async (api: Api) => {
      const client = (await newClient(api, 'Pia Task')).body;
      const created = await api.post('/api/tasks', {
        client_id: client.id,
        scheduled_for: new Date(Date.now() + 86_400_000).toISOString(),
        notes: 'call',
      });
      expect(created.status).toBe(201);
      return created;
    };

    it('tasks: POST, GET and PATCH carry the ETag of the task’s sequence; If-Match with the current one → 200', async () => {
      const { api } = await signUp(stack.api);
      const created = await newTask(api);
      const id = created.body.id;
      const tag0 = created.headers.get('etag') ?? '';
      expect(tag0).toMatch(/^"[1-9][0-9]*"$/);
      expect((await api.get(`/api/tasks/${id}`)).headers.get('etag')).toBe(tag0);
      const moved = await api.call('PATCH', `/api/tasks/${id}`, { priority: 'high' }, { 'if-match': tag0 });
      expect(moved.status).toBe(200);
      const tag1 = moved.headers.get('etag');
      expect(tag1).not.toBe(tag0);
      expect((await api.get(`/api/tasks/${id}`)).headers.get('etag')).toBe(tag1);
    });

    it('tasks: PATCH with a stale ETag → 412 and the task is unchanged', async () => {
      const { api } = await signUp(stack.api);
      const created = await newTask(api);
      const id = created.body.id;
      const tag0 = created.headers.get('etag') ?? '';
      const tag1 = (await api.patch(`/api/tasks/${id}`, { priority: 'high' })).headers.get('etag');
      problem(await api.call('PATCH', `/api/tasks/${id}`, { status: 'skipped' }, { 'if-match': tag0 }), 412);
      const now = await api.get(`/api/tasks/${id}`);
      expect(now.body).toMatchObject({ status: 'pending', priority: 'high' });
      expect(now.headers.get('etag')).toBe(tag1);
    });

    it('emails: GET carries a weak ETag of the email as shown; it changes when the email does', async () => {
      const { api, agent } = await signUp(stack.api);
      const client = (await newClient(api, 'Rae Mail')).body;
      const id = randomUUID();
      // The read model row as the projector writes it (no AI or mailer needed to read it back).
      await sql`INSERT INTO email_logs (id, agent_id, client_id, subject, body, status, created_at)
        VALUES (${id}, ${agent.id}, ${client.id}, 'Hello', 'Body', 'sent', now())`.execute(stack.database.db);
      const first = await api.get(`/api/emails/${id}`);
      expect(first.status).toBe(200);
      const tag = first.headers.get('etag');
      expect(tag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
      expect((await api.get(`/api/emails/${id}`)).headers.get('etag')).toBe(tag);
      await sql`UPDATE email_logs SET opened_at = now() WHERE id = ${id}`.execute(stack.database.db);
      expect((await api.get(`/api/emails/${id}`)).headers.get('etag')).not.toBe(tag);
    });

    it('the OpenAPI document advertises Idempotency-Key and If-Match', async () => {
      const doc = (await apiClient(stack.api).get('/docs/json')).body;
      const params = (path: string, method: string) =>
        ((doc.paths[path]?.[method]?.parameters ?? []) as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`);
      expect(params('/api/clients', 'post')).toContain('header:idempotency-key');
      expect(params('/api/clients/{id}', 'patch')).toEqual(expect.arrayContaining(['header:idempotency-key', 'header:if-match']));
      expect(params('/api/clients/{id}', 'delete')).toEqual(expect.arrayContaining(['header:idempotency-key', 'header:if-match']));
      expect(params('/api/tasks/{id}', 'patch')).toEqual(expect.arrayContaining(['header:idempotency-key', 'header:if-match']));
      expect(Object.keys(doc.paths['/api/clients/{id}'].patch.responses)).toEqual(expect.arrayContaining(['412', '422']));
    });
  });
  // Last: it stops the suite's NATS server.
  describe('NATS down', () => {
    it('a keyed write answers 503 problem details (never 500) and keeps nothing; after NATS is back the key runs', async () => {
      if (!stack.nats.owned) return; // a shared server cannot be stopped here
      const { api } = await signUp(stack.api);
      const key = randomUUID();
      const body = { name: 'Quinn Outage', email: 'quinn@example.com' };
      await stack.nats.stop();
      try {
        const r = await api.call('POST', '/api/clients', body, withKey(key));
        problem(r, 503);
        expect(r.headers.get('retry-after')).toBeTruthy();
      } finally {
        await stack.nats.start();
      }
      const again = await waitFor(
        async () => {
          const r = await api.call('POST', '/api/clients', body, withKey(key));
          return r.status === 503 ? null : r;
        },
        { timeoutMs: 30_000, what: 'NATS and crm back' },
      );
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBeNull();
    }, 90_000);
  });
});
