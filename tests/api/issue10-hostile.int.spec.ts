import { type Stack, startStack, startTcpProxy, type TcpProxy, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

/**
 * The routes of issue 10 (imports, exports, bulk, templates, the agent's name) as a hostile
 * user and a bad day would try them: hostile input is a 4xx problem, a stopped NATS or a
 * silent Postgres a 503 with Retry-After — never another 5xx, never another agent's data.
 */
describe('issue 10 routes: hostile input and dependencies down', () => {
  let stack: Stack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    stack = await startStack(['crm'], { READ_YOUR_WRITES_TIMEOUT_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1500' });
    const target = new URL(stack.database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    stack.env.DATABASE_URL = proxy.rewrite(stack.database.url);
    await stack.start('projector');
    await stack.start('gateway');
  });
  afterAll(async () => {
    await stack?.dispose();
    await proxy?.close();
  });

  // biome-ignore lint/suspicious/noExplicitAny: the answers are checked field by field
  type Answer = Omit<Response, 'json'> & { json(): Promise<any> };
  const send = (token: string, method: string, path: string, body?: string | Uint8Array, type = 'application/json'): Promise<Answer> =>
    fetch(`${stack.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      body,
    });
  const problem = async (res: Answer, status: number) => {
    expect(res.status, `${res.url} → ${res.status}`).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    if (status === 503) expect(res.headers.get('retry-after')).toBeTruthy();
    return res.json() as Promise<{ errors?: { pointer: string }[] }>;
  };
  const csv = 'Name,Email\r\nAnn,ann@example.com\r\n';

  it('hostile input: a 4xx problem each, nothing written, another agent never reached', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const plan = (await b.api.get('/api/plans')).body.items?.[0]?.id;
    // Another agent's plan for the import, a mapping that is huge, not JSON, an array, NUL in a key.
    if (plan) await problem(await send(a.token, 'POST', `/api/imports?plan_id=${plan}`, csv, 'text/csv'), 400);
    // A mapping past Node's header limit is refused before any route (431); one under it but
    // past the route's limit is a 400.
    expect((await send(a.token, 'POST', `/api/imports?mapping=${'x'.repeat(100_001)}`, csv, 'text/csv')).status).toBe(431);
    await problem(await send(a.token, 'POST', `/api/imports?mapping=${'{'.repeat(9000)}`, csv, 'text/csv'), 400);
    for (const m of ['{', '[]', '{"Na\\u0000me":"name"}', '{"Name":"name","Email":7}'])
      await problem(await send(a.token, 'POST', `/api/imports?mapping=${encodeURIComponent(m)}`, csv, 'text/csv'), 400);
    await problem(await send(a.token, 'POST', '/api/imports?on_duplicate=merge', csv, 'text/csv'), 400);
    // A cell far past every field's limit: that row is rejected with its reason, the job runs.
    const big = await send(
      a.token,
      'POST',
      '/api/imports/preview',
      `Name,Email,Notes\r\nAnn,ann@example.com,${'n'.repeat(2_000_000)}\r\n`,
      'text/csv',
    );
    expect(big.status).toBe(200);
    expect((await big.json()).errors[0]).toMatchObject({ row: 1 });
    // Ids that are not ids, and other agents' ids.
    await problem(await send(a.token, 'GET', '/api/imports/not-a-uuid'), 400);
    expect((await send(a.token, 'GET', `/api/imports/${'1'.repeat(3000)}`)).status).toBe(414);
    const theirs = await send(b.token, 'POST', '/api/imports', csv, 'text/csv');
    const theirId = (await theirs.json()).id;
    await problem(await send(a.token, 'GET', `/api/imports/${theirId}`), 404);
    await problem(await send(a.token, 'GET', `/api/imports/${theirId}/report.csv`), 404);
    await problem(await send(a.token, 'PATCH', '/api/auth/me', JSON.stringify({ name: 'A\u0000B' })), 400);
    await problem(await send(a.token, 'PATCH', '/api/auth/me', JSON.stringify({ name: 'x'.repeat(100_000) })), 400);
    await problem(await send(a.token, 'POST', '/api/templates', JSON.stringify({ name: 'T', subject: 'S\u0000', body: 'B' })), 400);
    await problem(await send(a.token, 'GET', '/api/emails/export.csv?client_id=not-a-uuid'), 400);
    await problem(await send(a.token, 'POST', '/api/clients/bulk', JSON.stringify({ filter: { q: 'a\u0000' }, action: 'delete' })), 400);
    expect((await a.api.get('/api/imports')).body.items).toEqual([]);
  });

  it('NATS stopped: writes, uploads and the report are 503 with Retry-After; nothing half-started', async () => {
    const a = await signUp(stack.api);
    const made = await send(a.token, 'POST', '/api/imports', csv, 'text/csv');
    const { id } = await made.json();
    await waitFor(async () => (await a.api.get(`/api/imports/${id}`)).body.status === 'done', { what: 'import done' });
    await stack.nats.stop();
    try {
      await problem(await send(a.token, 'POST', '/api/imports', csv, 'text/csv'), 503);
      await problem(await send(a.token, 'GET', `/api/imports/${id}/report.csv`), 503);
      await problem(await send(a.token, 'PATCH', '/api/auth/me', JSON.stringify({ name: 'New Name' })), 503);
      await problem(
        await send(a.token, 'POST', '/api/templates', JSON.stringify({ name: 'T', subject: 'Hi', body: 'Hello {{first_name}}' })),
        503,
      );
      // No client yet: the selection (Postgres) is empty, nothing to send, so 200 with no results.
      const bulk = await send(a.token, 'POST', '/api/clients/bulk', JSON.stringify({ filter: {}, action: 'tag', value: 'x' }));
      expect(bulk.status).toBe(200);
    } finally {
      await stack.nats.start();
    }
    // Back (crm and the gateway reconnect): the same upload goes through.
    await waitFor(async () => (await send(a.token, 'POST', '/api/imports', csv, 'text/csv')).status === 202, {
      what: 'upload again',
      timeoutMs: 20_000,
    });
  });

  it('Postgres silent: the import page, the preview and the exports are 503 with Retry-After', async () => {
    const a = await signUp(stack.api);
    const made = await send(a.token, 'POST', '/api/imports', csv, 'text/csv');
    const { id } = await made.json();
    proxy.pause('blackhole');
    try {
      await problem(await send(a.token, 'GET', `/api/imports/${id}`), 503);
      await problem(await send(a.token, 'GET', '/api/imports'), 503);
      await problem(await send(a.token, 'POST', '/api/imports/preview', csv, 'text/csv'), 503);
      await problem(await send(a.token, 'GET', '/api/emails/export.csv'), 503);
      await problem(await send(a.token, 'GET', '/api/templates'), 503);
    } finally {
      proxy.resume();
    }
  });
});
