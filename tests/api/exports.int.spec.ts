import { guessMapping, readCsv, rowToClient } from '@realtoros/imports';
import { startStack, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

/** GET /api/clients/export.csv on the real stack (gateway, crm, projector; real NATS + Postgres). */
describe('client CSV export', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  const exportCsv = async (token: string, query = '') => {
    const res = await fetch(`${stack.api}/api/clients/export.csv${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
  };

  it('every client matching the filter, custom fields as columns, formulas defused, and it reads back as the same clients; another agent’s file holds none of them', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const made = [];
    for (let i = 0; i < 12; i++)
      made.push(
        await a.api.post('/api/clients', {
          name: i === 0 ? 'René Dupont' : `Client ${i}`,
          email: `client${i}@example.com`,
          stage: i % 3 === 0 ? 'qualified' : 'lead',
          plan_id: null,
          ...(i === 1 ? { phone: '+1 555 0100' } : {}),
          notes: i === 0 ? '=HYPERLINK("http://evil.example","click")' : 'Wants a garden, "soon"\nand a short commute',
          custom_fields: i % 2 === 0 ? { budget: `${400 + i}k` } : { source: 'open house' },
          ...(i === 2 ? { tags: ['VIP', 'Buyer 2027'] } : i === 3 ? { tags: ['vip'] } : {}),
        }),
      );
    expect(made.map((r) => r.status)).toEqual(Array(12).fill(201));
    await b.api.post('/api/clients', { name: 'Not Yours', email: 'other@example.com', plan_id: null });

    const { res, bytes } = await exportCsv(a.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="clients.csv"');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM: Excel reads UTF-8

    const table = readCsv(bytes);
    expect(table.columns).toEqual([
      'id',
      'name',
      'email',
      'phone',
      'property_address',
      'property_type',
      'stage',
      'notes',
      'time_zone',
      'unsubscribed',
      'created_at',
      'last_contacted',
      'tags',
      'budget',
      'source',
    ]);
    expect(table.rows).toHaveLength(12);
    const byEmail = new Map(table.rows.map((r) => [r[2], r]));
    expect(byEmail.has('other@example.com')).toBe(false);
    const rene = byEmail.get('client0@example.com');
    expect(rene?.[1]).toBe('René Dupont');
    expect(rene?.[7]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(rene?.[13]).toBe('400k');
    expect(rene?.[12]).toBe('');
    expect(byEmail.get('client2@example.com')?.[12]).toBe('VIP; Buyer 2027');
    expect(byEmail.get('client1@example.com')?.[7]).toBe('Wants a garden, "soon"\nand a short commute');
    expect(byEmail.get('client1@example.com')?.[14]).toBe('open house');
    expect(byEmail.get('client1@example.com')?.[3]).toBe("'+1 555 0100"); // defused, and undone on import (below)

    // The file imports back: every row is a valid client, with its custom fields.
    const mapping = {
      ...guessMapping(table.columns),
      id: 'ignore' as const,
      unsubscribed: 'ignore' as const,
      created_at: 'ignore' as const,
      last_contacted: 'ignore' as const,
    };
    const back = table.rows.map((r) => rowToClient(table.columns, r, mapping));
    expect(back.every((x) => x.ok)).toBe(true);
    expect(back.find((x) => x.ok && x.client.email === 'client1@example.com')).toMatchObject({ client: { phone: '+1 555 0100' } });
    expect(back.find((x) => x.ok && x.client.email === 'client2@example.com')).toMatchObject({
      client: { stage: 'lead', custom_fields: { budget: '402k' }, tags: ['VIP', 'Buyer 2027'] },
    });

    // The list's filters apply.
    const qualified = readCsv((await exportCsv(a.token, '?stage=qualified')).bytes);
    expect(qualified.rows.map((r) => r[2]).sort()).toEqual([
      'client0@example.com',
      'client3@example.com',
      'client6@example.com',
      'client9@example.com',
    ]);
    expect(qualified.columns.slice(12)).toEqual(['tags', 'budget', 'source']);
    // …and the tag filter, case-insensitively, with the others.
    expect(readCsv((await exportCsv(a.token, '?tag=VIP')).bytes).rows.map((r) => r[2]).sort()).toEqual([
      'client2@example.com',
      'client3@example.com',
    ]);
    expect(readCsv((await exportCsv(a.token, '?tag=vip&stage=qualified')).bytes).rows.map((r) => r[2])).toEqual(['client3@example.com']);
    expect(readCsv((await exportCsv(a.token, '?q=Ren')).bytes).rows.map((r) => r[2])).toEqual(['client0@example.com']);
    expect(readCsv((await exportCsv(b.token)).bytes).rows.map((r) => r[2])).toEqual(['other@example.com']);
  });

  it('more clients than one read batch: each exactly once, newest first', async () => {
    const a = await signUp(stack.api);
    for (let i = 0; i < 620; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, 620 - i) }, (_, k) =>
          a.api.post('/api/clients', { name: `Bulk ${i + k}`, email: `bulk${i + k}@example.com`, plan_id: null }),
        ),
      );
    const table = readCsv((await exportCsv(a.token)).bytes);
    const emails = table.rows.map((r) => r[2]);
    expect(emails).toHaveLength(620);
    expect(new Set(emails).size).toBe(620);
    const created = table.rows.map((r) => r[10] ?? '');
    expect([...created].sort().reverse()).toEqual(created);
  });

  it('bad filters are a 400 problem, no token a 401', async () => {
    const a = await signUp(stack.api);
    const bad = await fetch(`${stack.api}/api/clients/export.csv?stage=nope`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await fetch(`${stack.api}/api/clients/export.csv`)).status).toBe(401);
    for (const q of ['?q=%00', `?q=${'x'.repeat(5000)}`, '?page=2', '?plan_id=x']) {
      const r = await fetch(`${stack.api}/api/clients/export.csv${q}`, { headers: { authorization: `Bearer ${a.token}` } });
      expect(r.status, q.slice(0, 40)).toBe(400);
      expect(r.headers.get('content-type'), q.slice(0, 40)).toMatch(/application\/problem\+json/);
    }
  });
});
