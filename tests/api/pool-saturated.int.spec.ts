import { type Stack, startStack } from '@realtoros/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

/**
 * Issue 11: a saturated pool never answers 500. The gateway runs with a pool of one and a
 * 300 ms wait for it; the test holds a lock on `clients`, so the one connection sits in a
 * query that cannot finish and every other request waits for a connection. Each answer is a
 * 200 (it queued and got one) or a 503 problem with Retry-After — reads of clients and,
 * beside them, of emails — and once the lock goes everything is 200 again.
 */
describe('gateway pool saturated: 503 with Retry-After, never 500', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['crm', 'projector'], {
      DATABASE_POOL_SIZE: '1',
      DATABASE_POOL_WAIT_MS: '300',
      DATABASE_QUERY_TIMEOUT_MS: '1500',
    });
    await stack.start('gateway');
  });
  afterAll(async () => stack?.dispose());

  it('answers 200 or 503 + Retry-After (problem+json) while the pool is exhausted, 200 after', async () => {
    const { token } = await signUp(stack.api, 'Pat');
    const get = async (path: string) => {
      const r = await fetch(`${stack.api}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return {
        path,
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        type: r.headers.get('content-type'),
        body: await r.text(),
      };
    };
    const locker = new pg.Client({ connectionString: stack.database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE clients IN ACCESS EXCLUSIVE MODE');
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          get(i % 3 === 2 ? '/api/emails?page=1&limit=5' : i % 3 === 1 ? '/api/dashboard/stats' : '/api/clients?page=1&limit=5'),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(
        statuses.filter((s) => s !== 200 && s !== 503),
        JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 503)),
      ).toEqual([]);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      for (const a of answers.filter((x) => x.status === 503)) {
        expect(a.retryAfter, a.path).toMatch(/^\d+$/);
        expect(a.type, a.path).toMatch(/application\/problem\+json/);
      }
      // The emails beside them: answered too (200 or 503), never 500.
      expect(answers.filter((a) => a.path.startsWith('/api/emails')).every((a) => a.status === 200 || a.status === 503)).toBe(true);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    for (const path of ['/api/clients?page=1&limit=5', '/api/dashboard/stats', '/api/emails?page=1&limit=5'])
      expect((await get(path)).status, path).toBe(200);
  });
});
