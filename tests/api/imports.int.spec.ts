import { readCsv } from '@realtoros/imports';
import { startStack, type Stack, waitFor } from '@realtoros/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

type Job = {
  id: string;
  status: string;
  total: number;
  done: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: { row: number; reason: string }[];
};

const HEADER = 'First Name,Last Name,E-mail Address,Phone,Lead Status,Budget';

/**
 * A book of `n` rows. Every 33rd row is bad, in turn: a bad email, an unknown stage, no name
 * (3% of the rows); rows whose index is in `dupes` reuse an email of an existing client.
 */
function book(n: number, opts: { prefix: string; existing?: string[] }) {
  const lines = [HEADER];
  const bad = new Map<number, string>();
  const dupRows: number[] = [];
  for (let i = 1; i <= n; i++) {
    let first = `Ann${i}`;
    let email = `${opts.prefix}${i}@example.com`;
    let stage = i % 5 === 0 ? 'Qualified' : 'lead';
    if (i % 33 === 0) {
      const kind = (i / 33) % 3;
      if (kind === 0) {
        email = `${opts.prefix}${i}-at-example.com`;
        bad.set(i, `"${email}" is not an email address`);
      } else if (kind === 1) {
        stage = 'hot';
        bad.set(i, 'unknown stage "hot"');
      } else {
        first = '';
        bad.set(i, 'name is missing');
      }
    } else if (opts.existing && i % 97 === 0) {
      email = opts.existing[(i / 97) % opts.existing.length] ?? email;
      dupRows.push(i);
    }
    const last = first ? `Lee "${i}"` : '';
    lines.push([first, `"${last.replaceAll('"', '""')}"`, email, `555-${i}`, stage, `${300 + (i % 50)}k`].join(','));
  }
  return { csv: `${lines.join('\r\n')}\r\n`, bad, dupRows };
}

/** CSV imports on the real stack: gateway, crm (the job), projector; real NATS and Postgres. */
describe('CSV import', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  // biome-ignore lint/suspicious/noExplicitAny: the answers are checked field by field below
  type Answer = Omit<Response, 'json'> & { json(): Promise<any> };
  const upload = (token: string, path: string, body: string | Uint8Array, type = 'text/csv'): Promise<Answer> =>
    fetch(`${stack.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
  const job = async (token: string, id: string): Promise<Job> =>
    (await fetch(`${stack.api}/api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Job>;
  const finished = (token: string, id: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const j = await job(token, id);
        return (j.status === 'done' || j.status === 'failed') && j;
      },
      { what: `import ${id} finished`, timeoutMs, intervalMs: 200 },
    );
  const clientCount = async (agentId: string) => {
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM clients WHERE agent_id = ${agentId} AND NOT is_deleted`.execute(stack.database.db);
    return rows[0]?.n ?? 0;
  };

  it('a small file: preview, import, and the clients as the file says', async () => {
    const a = await signUp(stack.api);
    const csv = `${HEADER}\r\nRené,Dupont,rene@example.com,555-1,Under Contract,400k\r\nBo,,bo@example,555-2,lead,1\r\n`;
    const preview = await upload(a.token, '/api/imports/preview', csv);
    expect(preview.status).toBe(200);
    const p = await preview.json();
    expect(p.total).toBe(2);
    expect(p.columns.map((c: { target: string }) => c.target)).toEqual(['first_name', 'last_name', 'email', 'phone', 'stage', 'custom']);
    expect(p.bad_rows).toBe(1);
    expect(p.errors).toEqual([{ row: 2, reason: '"bo@example" is not an email address' }]);

    const started = await upload(a.token, '/api/imports', csv);
    expect(started.status).toBe(202);
    const { id } = await started.json();
    expect(started.headers.get('location')).toBe(`/api/imports/${id}`);
    const done = await finished(a.token, id);
    expect(done).toMatchObject({ status: 'done', total: 2, done: 2, created: 1, updated: 0, skipped: 0, failed: 1 });
    const list = await a.api.get('/api/clients?q=rene');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ name: 'René Dupont', stage: 'under_contract', custom_fields: { Budget: '400k' } });
  });

  it('10,000 rows, 3% bad, some matching existing clients: the right counts, each rejected row named, nothing half-written; the same file again adds nothing', {
    timeout: 240_000,
  }, async () => {
    const a = await signUp(stack.api);
    const other = await signUp(stack.api);
    const existing: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await a.api.post('/api/clients', {
        name: `Existing ${i}`,
        email: `existing${i}@example.com`,
        plan_id: null,
        notes: 'keep me',
      });
      expect(r.status).toBe(201);
      existing.push(`existing${i}@example.com`);
    }
    // Another agent's client with one of the file's emails: not a duplicate for this agent.
    expect((await other.api.post('/api/clients', { name: 'Theirs', email: 'big1@example.com', plan_id: null })).status).toBe(201);
    const { csv, bad, dupRows } = book(10_000, { prefix: 'big', existing });
    expect(bad.size).toBe(303);
    expect(dupRows.length).toBeGreaterThan(90);

    const started = await upload(a.token, '/api/imports', csv);
    expect(started.status).toBe(202);
    const { id } = await started.json();
    const done = await finished(a.token, id, 180_000);
    const created = 10_000 - bad.size - dupRows.length;
    expect(done).toMatchObject({
      status: 'done',
      total: 10_000,
      done: 10_000,
      created,
      updated: 0,
      skipped: dupRows.length,
      failed: bad.size,
    });
    expect(done.errors.map((e) => e.row)).toEqual([...bad.keys()]);
    for (const e of done.errors) expect(e.reason).toContain(bad.get(e.row));

    // Every good row is one client, whole; the existing ones untouched; the other agent's too.
    await waitFor(async () => (await clientCount(a.agent.id)) === 20 + created, { what: 'clients projected', timeoutMs: 60_000 });
    const { rows: sample } = await sql<{ name: string; phone: string; custom_fields: Record<string, string> }>`
      SELECT name, phone, custom_fields FROM clients WHERE agent_id = ${a.agent.id} AND email = 'big1@example.com'`.execute(
      stack.database.db,
    );
    expect(sample).toEqual([{ name: 'Ann1 Lee "1"', phone: '555-1', custom_fields: { Budget: '301k' } }]);
    const kept = await a.api.get('/api/clients?q=existing0');
    expect(kept.body.items[0]).toMatchObject({ name: 'Existing 0', notes: 'keep me' });
    expect(await clientCount(other.agent.id)).toBe(1);

    // The report: each rejected row, why, and its cells as they were.
    const report = await fetch(`${stack.api}/api/imports/${id}/report.csv`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(report.status).toBe(200);
    const table = readCsv(new Uint8Array(await report.arrayBuffer()));
    expect(table.columns).toEqual(['Row', 'Problem', ...HEADER.split(',')]);
    expect(table.rows.map((r) => Number(r[0]))).toEqual([...bad.keys()]);
    expect(table.rows[0]?.slice(2, 7)).toEqual(['Ann33', 'Lee "33"', 'big33@example.com', '555-33', 'hot']);

    // The same file again: every row is a duplicate now (skipped) or bad; nothing is added.
    const again = await upload(a.token, '/api/imports', csv);
    const second = await finished(a.token, (await again.json()).id, 180_000);
    expect(second).toMatchObject({ status: 'done', created: 0, updated: 0, skipped: 10_000 - bad.size, failed: bad.size });
    expect(await clientCount(a.agent.id)).toBe(20 + created);
    // Another agent cannot read the job.
    expect((await other.api.get(`/api/imports/${id}`)).status).toBe(404);
    expect((await fetch(`${stack.api}/api/imports/${id}/report.csv`, { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(
      404,
    );
  });

  it('on_duplicate=update: an existing client takes the file’s values, keeps what the file leaves blank, and gains its custom fields', async () => {
    const a = await signUp(stack.api);
    const made = await a.api.post('/api/clients', {
      name: 'Old Name',
      email: 'dup@example.com',
      phone: '555-0000',
      notes: 'met at the open house',
      custom_fields: { source: 'open house' },
      plan_id: null,
    });
    const csv = 'Name,Email,Phone,Notes,Budget\r\nNew Name,DUP@example.com,,Prefers email,500k\r\nFresh One,fresh@example.com,555-9,,1\r\n';
    const started = await upload(a.token, '/api/imports?on_duplicate=update', csv);
    const done = await finished(a.token, (await started.json()).id);
    expect(done).toMatchObject({ status: 'done', created: 1, updated: 1, skipped: 0, failed: 0 });
    const updated = await a.api.get(`/api/clients/${made.body.id}`);
    expect(updated.body).toMatchObject({
      name: 'New Name',
      phone: '555-0000',
      notes: 'Prefers email',
      custom_fields: { source: 'open house', Budget: '500k' },
    });
  });

  it('killing crm mid-import: the job resumes from its checkpoint and ends with exactly the expected clients', {
    timeout: 240_000,
  }, async () => {
    const a = await signUp(stack.api);
    const { csv, bad } = book(6000, { prefix: 'kill' });
    const started = await upload(a.token, '/api/imports', csv);
    const { id } = await started.json();
    await waitFor(async () => (await job(a.token, id)).done >= 500, { what: 'import under way', timeoutMs: 60_000, intervalMs: 50 });
    await stack.stop('crm', 'SIGKILL');
    const atKill = await job(a.token, id);
    expect(atKill.status).toBe('running');
    expect(atKill.done).toBeLessThan(6000);
    await stack.start('crm');
    const done = await finished(a.token, id, 180_000);
    expect(done).toMatchObject({ status: 'done', done: 6000, created: 6000 - bad.size, skipped: 0, failed: bad.size });
    expect(done.errors.map((e) => e.row)).toEqual([...bad.keys()]);
    await waitFor(async () => (await clientCount(a.agent.id)) === 6000 - bad.size, { what: 'clients projected', timeoutMs: 60_000 });
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(DISTINCT lower(email))::int AS n FROM clients WHERE agent_id = ${a.agent.id}`.execute(stack.database.db);
    expect(rows[0]?.n).toBe(6000 - bad.size);
  });

  it('refusals are problems in words: unreadable files, bad mappings, unknown plans; nothing is started', async () => {
    const a = await signUp(stack.api);
    const problem = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      return (await res.json()) as { detail: string; errors?: { pointer: string }[] };
    };
    const utf16 = new Uint8Array([0xff, 0xfe, ...new TextEncoder().encode('N\0a\0m\0e\0')]);
    expect((await problem(await upload(a.token, '/api/imports', utf16), 400)).detail).toContain('UTF-16');
    expect((await problem(await upload(a.token, '/api/imports', 'Name,Email\r\n'), 400)).detail).toContain('no clients');
    expect((await problem(await upload(a.token, '/api/imports', 'Name,Phone\r\nA,1\r\n'), 400)).errors?.[0]?.pointer).toBe(
      '/query/mapping',
    );
    const badMapping = await upload(
      a.token,
      `/api/imports?mapping=${encodeURIComponent('{"Name":"shoe_size"}')}`,
      'Name,Email\r\nA,a@example.com\r\n',
    );
    expect((await problem(badMapping, 400)).errors?.[0]?.pointer).toMatch(/^\/query\/mapping/);
    const noPlan = await upload(a.token, '/api/imports?plan_id=0193a0b0-0000-7000-8000-000000000000', 'Name,Email\r\nA,a@example.com\r\n');
    expect((await problem(noPlan, 400)).errors?.[0]?.pointer).toBe('/query/plan_id');
    await problem(await upload(a.token, '/api/imports', '{"name":"A"}', 'application/json'), 415);
    const many = `Name,Email\r\n${Array.from({ length: 50_001 }, (_, i) => `A${i},a${i}@example.com`).join('\r\n')}`;
    expect((await problem(await upload(a.token, '/api/imports', many), 413)).detail).toContain('50000');
    expect((await a.api.get('/api/imports')).body.items).toEqual([]);
  });

  it('Windows-1252, BOM, semicolons, quoted newlines, and a multipart upload read as written', async () => {
    const a = await signUp(stack.api);
    // Excel on Windows: Windows-1252, semicolons, CRLF; "é" is the byte 0xE9, "€" 0x80.
    const cp1252 = Uint8Array.from(
      [...'Name;Email;Notes\r\nRen', 0xe9, ...';rene1252@example.com;"costs 5', 0x80, '\r\nsecond line"\r\n'].flatMap((c) =>
        typeof c === 'number' ? [c] : [...c].map((ch) => ch.charCodeAt(0)),
      ),
    );
    const p = await (await upload(a.token, '/api/imports/preview', cp1252)).json();
    expect(p).toMatchObject({ encoding: 'windows-1252', delimiter: ';', total: 1 });
    expect(p.rows[0].client).toMatchObject({ name: 'René', email: 'rene1252@example.com', notes: 'costs 5€\r\nsecond line' });

    const form = new FormData();
    form.append('file', new Blob([`\uFEFFName,Email\r\n"Doe, Jane",jane@example.com\r\n`], { type: 'text/csv' }), 'my book.csv');
    const res: Answer = await fetch(`${stack.api}/api/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}` },
      body: form,
    });
    expect(res.status).toBe(202);
    const done = await finished(a.token, (await res.json()).id);
    expect(done).toMatchObject({ status: 'done', created: 1, file_name: 'my book.csv' });
    expect((await a.api.get('/api/clients?q=jane')).body.items[0]).toMatchObject({ name: 'Doe, Jane', email: 'jane@example.com' });
  });

  it('an upload that failed (crm down) keeps its file under its Idempotency-Key: another file sent with that key is a 409 and never becomes a job', async () => {
    const a = await signUp(stack.api);
    const post = (body: string, key: string) => {
      const form = new FormData();
      form.append('file', new Blob([body], { type: 'text/csv' }), 'book.csv');
      return fetch(`${stack.api}/api/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.token}`, 'idempotency-key': key },
        body: form,
      });
    };
    const key = `import-${Date.now()}`;
    const fileA = 'Name,Email\r\nAnn,ann@example.com\r\n';
    await stack.stop('crm');
    try {
      expect((await post(fileA, key)).status).toBe(503); // the file is stored, the job is not started
    } finally {
      await stack.start('crm');
    }
    // The multipart fingerprint cannot see the file, so the route compares it with the stored one
    // (before any command: crm need not be back yet).
    expect((await post('Name,Email\r\nZed,zed@example.com\r\n', key)).status).toBe(409);
    const fresh = await waitFor(
      async () => {
        const r = await post(fileA, `${key}-new-${Date.now()}`);
        return r.status !== 503 && r;
      },
      { what: 'crm answering again', timeoutMs: 20_000 },
    );
    expect(fresh.status).toBe(202);
    expect(await finished(a.token, ((await fresh.json()) as { id: string }).id)).toMatchObject({ status: 'done', created: 1 });
    expect((await a.api.get('/api/clients?q=zed')).body.items).toEqual([]);
    expect((await a.api.get('/api/imports')).body.items).toHaveLength(1);
  });
});
