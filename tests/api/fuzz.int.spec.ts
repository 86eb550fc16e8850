import { createWebhookSigner, type Stack, startStack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from './http.ts';
import { isProblem, type RawResponse, rawRequest } from './raw-http.ts';

/**
 * A seeded fuzz over every operation of the real gateway's OpenAPI document (`/docs/json`),
 * against the real services, NATS and Postgres: malformed JSON, wrong types, NUL and lone
 * surrogates in every string, huge strings, impossible dates, bad and huge ids, bad cookies
 * and tokens, odd headers and methods. Every answer must be < 500, and every error RFC 9457
 * problem details. `FUZZ_SEED=<n>` reproduces a run; the failure message names the seed and
 * each failing request.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
/** Requests in flight at once, and the most cases one run sends (keeps it well under 60 s on a loaded machine; FUZZ_BUDGET=5000 sends them all). */
const CONCURRENCY = 8;
const BUDGET = Number(process.env.FUZZ_BUDGET ?? 1500);

type Schema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
  minLength?: number;
  minimum?: number;
  items?: Schema;
};
type Parameter = { in: 'path' | 'query' | 'header'; name: string; schema: Schema };
type Operation = { method: string; path: string; params: Parameter[]; body: Schema | null; secured: boolean };
type Case = { what: string; method: string; path: string; headers: Record<string, string>; body?: string };
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
  return {
    next,
    uuid: () => `${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`,
    shuffle<T>(xs: T[]): T[] {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}
type Rng = ReturnType<typeof seeded>;

/** The parts of an OpenAPI operation the fuzz reads. */
type OpenApiOperation = { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] };
type OpenApiDoc = { paths: Record<string, Record<string, OpenApiOperation>> };

function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  return ops;
}

/** The alternatives of a body schema (`anyOf` bodies such as preview/send), each a plain schema. */
const branchesOf = (s: Schema): Schema[] => s.anyOf ?? s.oneOf ?? [s];

/** A value the schema accepts, with every optional property present, so every field is exercised. */
function sample(s: Schema, rng: Rng): Json {
  if (s.anyOf ?? s.oneOf)
    return sample(branchesOf(s).find((b) => b.type !== 'object' || b.properties || b.additionalProperties) ?? {}, rng);
  if (s.enum) return (s.enum.find((v) => v !== null) ?? null) as Json;
  switch (s.type) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(v, rng);
      if (typeof s.additionalProperties === 'object') out.k = sample(s.additionalProperties, rng);
      return out;
    }
    case 'array':
      return s.items ? [sample(s.items, rng)] : [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'uuid') return rng.uuid();
      if (s.format === 'email') return `fuzz.${rng.uuid().slice(0, 8)}@example.com`;
      if (s.format === 'date-time') return '2030-01-02T03:04:05Z';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
}

/** JSON pointers to every `format: text` string the schema accepts (map values as `/<map>/k`, map keys as `/<map>/*key*`). */
function textPointers(s: Schema, at = ''): string[] {
  if (s.anyOf ?? s.oneOf) return [...new Set(branchesOf(s).flatMap((b) => textPointers(b, at)))];
  if (s.type === 'string' && s.format === 'text') return [at];
  if (s.type !== 'object') return [];
  const out = Object.entries(s.properties ?? {}).flatMap(([k, v]) => textPointers(v, `${at}/${k}`));
  if (typeof s.additionalProperties === 'object') out.push(...textPointers(s.additionalProperties, `${at}/k`), `${at}/*key*`);
  return out;
}

/** Pointers to every leaf of a JSON value (what the type and content mutations replace). */
function leaves(v: Json, at = ''): string[] {
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).flatMap(([k, x]) => leaves(x, `${at}/${k}`));
  return at ? [at] : [];
}

/** A copy of `v` with the value at `pointer` replaced (`*key*` renames map key `k` instead). */
function replaced(v: Json, pointer: string, value: Json, key?: string): Json {
  const copy = structuredClone(v) as Record<string, Json>;
  const parts = pointer.split('/').slice(1);
  let node = copy as Record<string, Json>;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, Json>;
  const last = parts.at(-1)!;
  if (last === '*key*') {
    const inner = node.k ?? 'x';
    delete node.k;
    node[key ?? 'bad'] = inner;
  } else node[last] = value;
  return copy;
}

const NUL = 'nul\u0000here';
const LONE_HIGH = 'lone\uD800here';
const LONE_LOW = '\uDC00lone';
const BAD_DATES = [
  '2026-06-30T23:59:60Z',
  '2026-02-30T10:00:00Z',
  '2026-06-30T24:00:00Z',
  '2026-13-01T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  'yesterday',
  '2026-06-30',
];
const VALUE_MUTATIONS: Json[] = [
  123,
  -1,
  1.5,
  1e308,
  true,
  null,
  [],
  {},
  ['x'],
  { a: 1 },
  '',
  ' ',
  NUL,
  LONE_HIGH,
  LONE_LOW,
  'x'.repeat(10_000),
  '🏠'.repeat(3000),
  ...BAD_DATES,
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'A'.repeat(3000),
  '<script>alert(1)</script>',
  "'; DROP TABLE clients; --",
  '%00',
  '\r\nX-Injected: 1',
];
const MALFORMED_BODIES = [
  '{',
  '{"name": "A",',
  '[',
  'nul',
  'undefined',
  '{"a":1}}',
  '\u0000',
  '{"a":"\\ud800"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '1',
  '"str"',
  'null',
  '[]',
  '{}',
];
const BAD_PATH_SEGMENTS = [
  'not-a-uuid',
  'a'.repeat(3000),
  '%',
  '%00',
  '%E0%A4%A',
  '..%2F..%2Fetc%2Fpasswd',
  '%F0%9F%98%80',
  'NULL',
  '00000000-0000-0000-0000-000000000000',
  '0190A000-0000-7000-8000-000000000001',
  '-1',
  '%ED%A0%80',
];
const BAD_QUERY_VALUES = [
  '%00',
  '%ED%A0%80',
  'x'.repeat(5000),
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  '',
  '%',
  '[]',
  ...BAD_DATES.map(encodeURIComponent),
  'not-a-uuid',
];

function casesFor(op: Operation, token: string, rng: Rng): Case[] {
  const pathOf = (segments: Record<string, string> = {}) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? (name === 'token' ? 'x'.repeat(86) : rng.uuid()));
  const auth: Record<string, string> = op.secured ? { authorization: `Bearer ${token}` } : {};
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  const isStream = op.path === '/api/events/stream';
  const bodies = op.body ? branchesOf(op.body).map((b) => sample(b, rng)) : [];
  const base = (over: Partial<Case> & { what: string }): Case => ({
    method: op.method,
    path: pathOf(),
    headers: { ...json, ...auth },
    ...(bodies[0] !== undefined ? { body: JSON.stringify(bodies[0]) } : op.method === 'POST' ? { body: '{}' } : {}),
    ...over,
  });
  const cases: Case[] = [];
  // The event stream answers a valid token with a stream that never ends: only broken credentials for it.
  if (!isStream) cases.push(base({ what: 'as documented' }));

  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'])
    if (method !== op.method && !(isStream && method === 'GET')) cases.push(base({ what: `method ${method}`, method }));

  for (const name of (op.path.match(/\{(\w+)\}/g) ?? []).map((m) => m.slice(1, -1)))
    for (const seg of BAD_PATH_SEGMENTS)
      if (!isStream) cases.push(base({ what: `path ${name}=${seg.slice(0, 40)}`, path: pathOf({ [name]: seg }) }));

  if (!isStream) {
    for (const p of op.params.filter((x) => x.in === 'query'))
      for (const v of BAD_QUERY_VALUES) cases.push(base({ what: `query ${p.name}=${v.slice(0, 40)}`, path: `${pathOf()}?${p.name}=${v}` }));
    if (op.params.some((x) => x.in === 'query')) {
      cases.push(base({ what: 'unknown query parameter', path: `${pathOf()}?password=x` }));
      cases.push(base({ what: 'repeated query parameter', path: `${pathOf()}?page=1&page=2&limit=5&limit=500` }));
    }
  }

  if (op.body && !isStream) {
    for (const raw of MALFORMED_BODIES) cases.push(base({ what: `body ${raw.slice(0, 30)}`, body: raw }));
    cases.push(base({ what: 'body over the limit', body: JSON.stringify({ notes: 'x'.repeat(200_000) }) }));
    cases.push(base({ what: 'no body', body: '' }));
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/xml',
      '',
    ])
      cases.push(base({ what: `content-type ${type || '(empty)'}`, headers: { ...auth, 'content-type': type } }));
    for (const body of bodies) {
      for (const ptr of leaves(body))
        for (const v of VALUE_MUTATIONS)
          cases.push(base({ what: `${ptr} = ${JSON.stringify(v).slice(0, 40)}`, body: JSON.stringify(replaced(body, ptr, v)) }));
      for (const key of ['extra', '__proto__', 'agent_id', 'a\u0000b', '\uD800'])
        cases.push(base({ what: `extra field ${JSON.stringify(key)}`, body: JSON.stringify({ ...(body as object), [key]: 'x' }) }));
    }
  }

  const headerVariants: Record<string, string>[] = [
    { cookie: 'token=%' },
    { cookie: 'token=%E0%A4%A' },
    { cookie: `token=${'a'.repeat(8000)}` },
    { cookie: 'token=a.b.c; token=%' },
    { cookie: 'token="quoted"' },
    { authorization: 'Bearer ' },
    { authorization: 'Bearer a.b.c' },
    { authorization: `Bearer ${token.slice(0, -2)}xx` },
    { authorization: 'Basic Zm9vOmJhcg==' },
    { authorization: `Bearer ${'x'.repeat(10_000)}` },
    {
      authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","exp":9999999999}').toString('base64url')}.`,
    },
  ];
  for (const h of headerVariants) {
    const { authorization: _drop, ...rest } = base({ what: '' }).headers;
    cases.push(base({ what: `header ${JSON.stringify(h).slice(0, 60)}`, headers: { ...rest, ...h } }));
  }
  if (!isStream)
    for (const h of [
      { 'x-request-id': 'a\tb<script>' },
      { 'x-request-id': 'x'.repeat(5000) },
      { accept: 'text/html' },
      { accept: 'application/xml;q=1, */*;q=0' },
      { 'accept-encoding': 'gzip;q=bogus' },
      { 'idempotency-key': '' },
      { 'idempotency-key': 'x'.repeat(5000) },
      { 'idempotency-key': 'a\tb' },
      { 'if-match': '"' },
      { 'if-match': '*' },
      { 'if-match': 'W/"1"' },
      { 'if-match': '"-1"' },
      { 'if-match': '"99999999999999999999999"' },
      { 'if-match': '"abc", "1"' },
      { 'if-none-match': '*' },
      { traceparent: 'garbage' },
      { 'x-filler': 'x'.repeat(40_000) },
    ] as Record<string, string>[])
      cases.push(base({ what: `header ${JSON.stringify(h).slice(0, 60)}`, headers: { ...base({ what: '' }).headers, ...h } }));

  return cases.map((c) => ({ ...c, what: `${op.method} ${op.path}: ${c.what}` }));
}

async function inBatches<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe(`fuzz over the OpenAPI document (FUZZ_SEED=${SEED})`, () => {
  let stack: Stack;
  let token: string;
  /** A second session of the agent, for log-out: its cases end the session they are sent with. */
  let logoutToken: string;
  let doc: OpenApiDoc;
  const signer = createWebhookSigner();

  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      LOG_LEVEL: 'error',
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKey,
    });
    const agent = await signUp(stack.api, 'Fuzz Agent');
    token = agent.token;
    logoutToken = (await apiClient(stack.api).post('/api/auth/login', { email: agent.email, password: 'correct-horse-1' })).body.token;
    doc = (await rawRequest(stack.api, 'GET', '/docs/json')).body;
  });
  afterAll(async () => stack?.dispose());

  it('covers every documented operation', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/clients',
        'PATCH /api/tasks/{id}',
        'POST /webhook/sendgrid',
        'GET /api/events/stream',
        'GET /api/plans',
        'POST /api/plans',
        'GET /api/plans/{id}',
        'PATCH /api/plans/{id}',
        'DELETE /api/plans/{id}',
        'POST /api/plans/{id}/preview',
        'POST /api/clients/{id}/enrollment',
        'PATCH /api/clients/{id}/enrollment',
        'GET /api/settings',
        'PATCH /api/settings',
        'GET /api/tasks/{id}/trail',
        'GET /api/emails/{id}/trail',
      ]),
    );
  });

  it('no answer ≥ 500; every error is problem details', { timeout: 120_000 }, async () => {
    const rng = seeded(SEED);
    const ops = [
      ...operationsOf(doc),
      { method: 'GET', path: '/healthz', params: [], body: null, secured: false },
      { method: 'GET', path: '/readyz', params: [], body: null, secured: false },
    ];
    const all = ops.flatMap((op) => casesFor(op, op.path === '/api/auth/logout' ? logoutToken : token, rng));
    const chosen = all.length > BUDGET ? rng.shuffle(all).slice(0, BUDGET) : all;
    const started = Date.now();
    const failures: string[] = [];
    await inBatches(chosen, CONCURRENCY, async (c) => {
      let r: RawResponse;
      try {
        r = await rawRequest(stack.api, c.method, c.path, {
          headers: c.headers,
          ...(c.body !== undefined ? { body: c.body } : {}),
          timeoutMs: 20_000,
        });
      } catch (err) {
        failures.push(`${c.what}: no answer (${(err as Error).message})`);
        return;
      }
      if (r.status >= 500) failures.push(`${c.what}: ${r.status} ${r.text.slice(0, 200)}`);
      // The one documented exception: a person opening a broken unsubscribe link gets a page.
      else if (
        c.path.startsWith('/unsubscribe/') &&
        c.headers.accept === 'text/html' &&
        /^text\/html/.test(String(r.headers['content-type']))
      )
        return;
      else if (r.status >= 400 && c.method !== 'HEAD' && !isProblem(r))
        failures.push(`${c.what}: ${r.status} not problem details: ${String(r.headers['content-type'])} ${r.text.slice(0, 200)}`);
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `fuzz: ${chosen.length} of ${all.length} cases over ${ops.length} operations in ${seconds.toFixed(1)} s (FUZZ_SEED=${SEED})`,
    );
    expect(failures, `FUZZ_SEED=${SEED}: ${failures.length} failing requests:\n${failures.slice(0, 40).join('\n')}`).toEqual([]);
    // The API still works after all of it.
    expect((await rawRequest(stack.api, 'GET', '/api/clients', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('a NUL and a lone surrogate in every text field of every write route → 400 pointing at that field', async () => {
    const rng = seeded(SEED);
    const checked: string[] = [];
    const failures: string[] = [];
    for (const op of operationsOf(doc).filter((o) => o.body)) {
      for (const branch of branchesOf(op.body!)) {
        const body = sample(branch, rng);
        for (const ptr of textPointers(branch)) {
          for (const bad of [NUL, LONE_HIGH, LONE_LOW]) {
            const isKey = ptr.endsWith('/*key*');
            const sent = isKey ? replaced(body, ptr, null, bad) : replaced(body, ptr, bad);
            const expected = isKey ? `${ptr.slice(0, -'/*key*'.length)}/${bad}` : ptr;
            const r = await rawRequest(
              stack.api,
              op.method,
              op.path.replace(/\{(\w+)\}/g, () => rng.uuid()),
              {
                headers: { 'content-type': 'application/json', ...(op.secured ? { authorization: `Bearer ${token}` } : {}) },
                body: JSON.stringify(sent),
              },
            );
            const pointers = ((r.body?.errors ?? []) as { pointer: string }[]).map((e) => e.pointer);
            if (r.status !== 400 || !isProblem(r) || !pointers.includes(expected))
              failures.push(
                `${op.method} ${op.path} ${JSON.stringify(expected)} = ${JSON.stringify(bad)}: ${r.status} ${r.text.slice(0, 300)}`,
              );
          }
          checked.push(`${op.method} ${op.path} ${ptr}`);
        }
      }
    }
    for (const op of operationsOf(doc))
      for (const p of op.params.filter((x) => x.in === 'query' && x.schema.format === 'text'))
        for (const bad of ['%00', 'a%00b']) {
          const r = await rawRequest(stack.api, op.method, `${op.path.replace(/\{(\w+)\}/g, () => rng.uuid())}?${p.name}=${bad}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const pointers = ((r.body?.errors ?? []) as { pointer: string }[]).map((e) => e.pointer);
          if (r.status !== 400 || !pointers.includes(`/querystring/${p.name}`))
            failures.push(`${op.method} ${op.path}?${p.name}=${bad}: ${r.status} ${r.text.slice(0, 300)}`);
          checked.push(`${op.method} ${op.path}?${p.name}`);
        }
    // Derived, not listed: make sure the derivation found the fields the issue names.
    expect(checked).toEqual(
      expect.arrayContaining([
        'POST /api/auth/signup /name',
        'POST /api/clients /name',
        'POST /api/clients /notes',
        'POST /api/clients /custom_fields/k',
        'POST /api/clients /custom_fields/*key*',
        'PATCH /api/clients/{id} /property_address',
        'PATCH /api/tasks/{id} /notes',
        'POST /api/tasks /notes',
        'POST /api/emails/send /subject',
        'POST /api/emails/send /body',
        'POST /api/emails/preview /agent_instructions',
        'GET /api/clients?q',
        'POST /api/plans /name',
        'PATCH /api/plans/{id} /name',
        'POST /api/plans/{id}/preview /name',
        'PATCH /api/settings /signature',
        'PATCH /api/settings /postal_address',
      ]),
    );
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('signed SendGrid batches full of hostile events → 200 with counts or 400, never 5xx', async () => {
    const rng = seeded(SEED);
    const event = (over: Record<string, unknown>) => ({
      sg_event_id: rng.uuid(),
      event: 'open',
      timestamp: 1_780_000_000,
      email: 'x@example.com',
      email_id: rng.uuid(),
      agent_id: rng.uuid(),
      ...over,
    });
    const fields = ['sg_event_id', 'event', 'email', 'sg_message_id', 'url', 'reason', 'email_id', 'agent_id'];
    const batches: unknown[][] = [
      [],
      [null, 1, 'x', [], {}, true],
      fields.flatMap((f) => [NUL, LONE_HIGH, LONE_LOW, 'x'.repeat(10_000), 123, null, {}, []].map((v) => event({ [f]: v }))),
      ['123', -1, 1e20, 1.5, null, '2026-06-30T23:59:60Z'].map((timestamp) => event({ timestamp })),
      [
        'bounce',
        'dropped',
        'spamreport',
        'unsubscribe',
        'group_unsubscribe',
        'click',
        'delivered',
        'processed',
        'deferred',
        'unknown_kind',
      ].map((e) => event({ event: e, reason: '<script>', url: 'javascript:alert(1)' })),
      Array.from({ length: 1200 }, () => event({})),
      [event({ __proto__: { admin: true }, constructor: { prototype: { x: 1 } } })],
    ];
    const failures: string[] = [];
    for (const [i, batch] of batches.entries()) {
      const payload = JSON.stringify(batch);
      const r = await rawRequest(stack.api, 'POST', '/webhook/sendgrid', {
        headers: signer.sign(payload).headers,
        body: payload,
        timeoutMs: 60_000,
      });
      const ok = r.status === 200 ? r.body?.total === batch.length : r.status === 400 && isProblem(r);
      if (!ok) failures.push(`batch ${i} (${batch.length} events): ${r.status} ${r.text.slice(0, 300)}`);
    }
    for (const raw of ['{', '"x"', '{"a":1}', 'null']) {
      const r = await rawRequest(stack.api, 'POST', '/webhook/sendgrid', { headers: signer.sign(raw).headers, body: raw });
      if (r.status !== 400 || !isProblem(r)) failures.push(`signed ${raw}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    const huge = JSON.stringify(Array.from({ length: 30_000 }, () => event({ reason: 'y'.repeat(150) })));
    // Over the webhook's 5 MB limit: a 400 problem, or the upload cut off once the answer is sent (EPIPE).
    const tooBig = await rawRequest(stack.api, 'POST', '/webhook/sendgrid', { headers: signer.sign(huge).headers, body: huge }).catch(
      (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? null : Promise.reject(err)),
    );
    if (tooBig && (tooBig.status !== 400 || !isProblem(tooBig))) failures.push(`over 5 MB: ${tooBig.status} ${tooBig.text.slice(0, 200)}`);
    expect(failures, `FUZZ_SEED=${SEED}\n${failures.join('\n')}`).toEqual([]);
  });
});
