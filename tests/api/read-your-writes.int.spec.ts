import { startStack, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

const AT_ONCE = 40;

/**
 * Read-your-writes under concurrent writes: the gateway answers a write once the projector
 * has announced the write's stream position (or its checkpoint says so), so a read sent right
 * after any of many concurrent writes shows that write — the list, the single client, the
 * new stage and the ETag. The scheduler runs too, so the projector is busy with the
 * follow-ups of every new client while it projects the writes being waited for.
 * (With READ_YOUR_WRITES_TIMEOUT_MS=0 — answering without waiting — these reads miss writes.)
 */
describe('read-your-writes under concurrent writes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { LOG_LEVEL: 'error', READ_YOUR_WRITES_TIMEOUT_MS: '3000' });
  }, 120_000);
  afterAll(async () => stack?.dispose());

  it(`${AT_ONCE} creations, then ${AT_ONCE} stage changes at once: each read right after its write shows it`, async () => {
    const { api } = await signUp(stack.api);
    const created = await Promise.all(
      Array.from({ length: AT_ONCE }, async (_, i) => {
        const w = await api.post('/api/clients', { name: `Concurrent ${i}`, email: `concurrent${i}@example.com`, stage: 'lead' });
        const read = await api.get(`/api/clients/${w.body?.id}`);
        return { w, read };
      }),
    );
    for (const { w, read } of created) {
      expect(w.status).toBe(201);
      expect(w.headers.get('read-your-writes')).not.toBe('pending');
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: w.body.id, name: w.body.name, stage: 'lead' });
      expect(read.headers.get('etag')).toBe(w.headers.get('etag'));
    }
    const list = await api.get('/api/clients?limit=100');
    expect(list.body.total).toBe(AT_ONCE);

    const changed = await Promise.all(
      created.map(async ({ w }, i) => {
        const stage = i % 2 === 0 ? 'contacted' : 'qualified';
        const p = await api.patch(`/api/clients/${w.body.id}`, { stage });
        const read = await api.get(`/api/clients/${w.body.id}`);
        const filtered = await api.get(`/api/clients?stage=${stage}&limit=100`);
        return { id: w.body.id as string, stage, p, read, filtered };
      }),
    );
    for (const { id, stage, p, read, filtered } of changed) {
      expect(p.status).toBe(200);
      expect(read.body.stage).toBe(stage);
      expect(read.headers.get('etag')).toBe(p.headers.get('etag'));
      expect(filtered.body.items.map((c: { id: string }) => c.id)).toContain(id);
    }
  }, 120_000);
});
