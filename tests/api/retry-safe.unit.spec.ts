import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../services/gateway/src/errors/index.ts';
import { parseIfMatch, seqEtag, weakEtag } from '../../services/gateway/src/plugins/etag.ts';
import {
  canonicalJson,
  commandIdFor,
  type DoneRecord,
  decide,
  fingerprintOf,
  keepsAnswer,
  MAX_BODY_DEPTH,
  type PendingRecord,
  recordKey,
} from '../../services/gateway/src/plugins/idempotency.ts';

describe('idempotency: what a request with a key does (pure)', () => {
  const fp = fingerprintOf('POST', '/api/clients', { name: 'A' });
  const done: DoneRecord = { state: 'done', fingerprint: fp, status: 201, headers: { 'content-type': 'application/json' }, body: '{}' };
  const pending = (leaseUntil: number): PendingRecord => ({ state: 'pending', fingerprint: fp, lease_until: leaseUntil });

  it('given no record, when a request comes, then it starts', () => {
    expect(decide(null, fp, 1000)).toEqual({ action: 'start' });
  });
  it('given a finished request, when the same request comes, then its answer is replayed', () => {
    expect(decide(done, fp, 1000)).toEqual({ action: 'replay', record: done });
  });
  it('given a record for another request (finished or not), when a request comes with its key, then mismatch (422)', () => {
    const other = fingerprintOf('POST', '/api/clients', { name: 'B' });
    expect(decide(done, other, 1000)).toEqual({ action: 'mismatch' });
    expect(decide(pending(5000), other, 1000)).toEqual({ action: 'mismatch' });
  });
  it('given one in flight, when the same request comes, then it waits; once the holder’s lease has run out, it takes over', () => {
    expect(decide(pending(5000), fp, 1000)).toEqual({ action: 'wait' });
    expect(decide(pending(5000), fp, 5000)).toEqual({ action: 'take_over' });
  });
  it('keeps 2xx and 4xx answers, never 5xx', () => {
    expect([200, 201, 204, 400, 404, 409, 412, 422].every(keepsAnswer)).toBe(true);
    expect([500, 502, 503, 504, 101, 304].some(keepsAnswer)).toBe(false);
  });
  it('fingerprints ignore key order but not values, method or path (query included)', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
    expect(fingerprintOf('POST', '/x', { a: 1, b: 2 })).toBe(fingerprintOf('POST', '/x', { b: 2, a: 1 }));
    expect(fingerprintOf('POST', '/x', { a: 1 })).not.toBe(fingerprintOf('POST', '/x', { a: 2 }));
    expect(fingerprintOf('POST', '/x', { a: 1 })).not.toBe(fingerprintOf('PATCH', '/x', { a: 1 }));
    expect(fingerprintOf('POST', '/x?a=1', undefined)).not.toBe(fingerprintOf('POST', '/x?a=2', undefined));
  });

  it('a body nested deeper than MAX_BODY_DEPTH is a 400 problem, not a stack overflow (a 5xx)', () => {
    const deep = JSON.parse(`${'['.repeat(30_000)}${']'.repeat(30_000)}`);
    const thrown = (() => {
      try {
        canonicalJson(deep);
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).status).toBe(400);
    const ok = JSON.parse(`${'['.repeat(MAX_BODY_DEPTH)}1${']'.repeat(MAX_BODY_DEPTH)}`);
    expect(canonicalJson(ok)).toBe(JSON.stringify(ok));
  });
  it('record keys are per agent and valid KV keys whatever the client key holds', () => {
    const k = recordKey('0190a000-0000-7000-8000-000000000001', 'any key: with spaces/* and >');
    expect(k).toMatch(/^[0-9a-f-]{36}\.[0-9a-f]{64}$/);
    expect(recordKey('0190a000-0000-7000-8000-000000000002', 'any key: with spaces/* and >')).not.toBe(k);
  });
  it('the command id follows the key AND the request: the same key with another body (after a 503) is another command', () => {
    const agent = '0190a000-0000-7000-8000-000000000001';
    const held = (fingerprint: string) =>
      ({ idempotency: { key: 'k1', recordKey: 'r', revision: 1, fingerprint } }) as unknown as Parameters<typeof commandIdFor>[0];
    const fresh = () => 'fresh';
    const a = fingerprintOf('POST', '/api/clients', { name: 'A' });
    const b = fingerprintOf('POST', '/api/clients', { name: 'B' });
    expect(commandIdFor(held(a), agent, 'crm.create_client', fresh)).toBe(commandIdFor(held(a), agent, 'crm.create_client', fresh));
    expect(commandIdFor(held(a), agent, 'crm.create_client', fresh)).not.toBe(commandIdFor(held(b), agent, 'crm.create_client', fresh));
    expect(commandIdFor({ idempotency: null } as unknown as Parameters<typeof commandIdFor>[0], agent, 'crm.create_client', fresh)).toBe(
      'fresh',
    );
  });
});

describe('If-Match and ETags (pure)', () => {
  const badRequest = (v: string) => {
    try {
      parseIfMatch(v);
    } catch (err) {
      return err instanceof HttpProblem && err.status === 400;
    }
    return false;
  };
  it('parses *, one strong tag of ours, and treats weak or foreign tags as never matching', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'none' });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch(' "42" ')).toEqual({ kind: 'seq', seq: 42 });
    expect(parseIfMatch('W/"42"')).toEqual({ kind: 'never' });
    expect(parseIfMatch('"abc"')).toEqual({ kind: 'never' });
    expect(parseIfMatch('"042"')).toEqual({ kind: 'never' });
    expect(parseIfMatch('"99999999999999999"')).toEqual({ kind: 'never' });
  });
  it('refuses malformed values and lists (400)', () => {
    for (const v of ['42', '"42', 'W/42', '"1", "2"', '', '**', '"a"b"']) expect(badRequest(v), v).toBe(true);
  });
  it('ETags: strong from a sequence (none without one), weak from the representation', () => {
    expect(seqEtag(7)).toBe('"7"');
    expect(seqEtag(null)).toBeUndefined();
    expect(seqEtag(0)).toBeUndefined();
    expect(weakEtag({ a: 1 })).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
    expect(weakEtag({ a: 1 })).toBe(weakEtag({ a: 1 }));
    expect(weakEtag({ a: 2 })).not.toBe(weakEtag({ a: 1 }));
  });
});
