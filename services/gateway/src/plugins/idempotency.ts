import { createHash } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import { deterministicId, isWrongLastSequence, natsReplicas, ServiceUnavailableError } from '@realtoros/messaging';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/index.ts';

/**
 * `Idempotency-Key` on POST/PATCH/DELETE, with the semantics Stripe documents and the IETF
 * draft (draft-ietf-httpapi-idempotency-key-header) describes:
 * - the first request with a key runs; its answer (2xx or 4xx) is kept 24 h and replayed,
 *   byte for byte with `Idempotent-Replayed: true`, to any later request with the same key
 *   and the same fingerprint (method, path and query, body);
 * - the same key with another fingerprint → 422, nothing runs;
 * - the same key while the first is still running → this one waits (bounded) for the first
 *   to finish and replays its answer; if it is still running after that → 409 with
 *   `Retry-After` (the draft's "request in progress");
 * - a 5xx (a service down, a timeout) is not kept: the record is removed so a retry runs
 *   again. The command id is derived from the key, so a retried command — or one whose
 *   gateway died between the command and the record — reuses its event and aggregate ids and
 *   the services' deterministic ids absorb it.
 *
 * Records live in the NATS KV bucket `gateway_idempotency` (TTL 24 h): the gateway is
 * stateless and replicated, and `kv.create` is the atomic "first one wins" across replicas.
 * Scope: authenticated requests under /api (key = agent + Idempotency-Key); a request
 * without the header is untouched. Webhooks and unsubscribe are not under /api.
 */
export const IDEMPOTENCY_BUCKET = 'gateway_idempotency';
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** 1–255 printable ASCII characters (HTTP trims surrounding spaces before we see it). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7E]{1,255}$';
const KEY_RE = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const METHODS = new Set(['POST', 'PATCH', 'DELETE']);
/** Answer headers worth replaying; request-specific ones (x-request-id, read-your-writes) are not. */
const KEPT_HEADERS = ['content-type', 'location', 'etag'] as const;
/** A kept answer must fit in one KV value (the server's max payload is 1 MB by default). */
const MAX_KEPT_BODY_BYTES = 512 * 1024;

export type PendingRecord = { state: 'pending'; fingerprint: string; lease_until: number };
export type DoneRecord = { state: 'done'; fingerprint: string; status: number; headers: Record<string, string>; body: string | null };
export type IdempotencyRecord = PendingRecord | DoneRecord;

export type Decision =
  | { action: 'start' }
  | { action: 'take_over' }
  | { action: 'replay'; record: DoneRecord }
  | { action: 'mismatch' }
  | { action: 'wait' };

/**
 * What a request with a key does, given the record stored under it (pure):
 * none → start; another fingerprint → mismatch (422); a finished one → replay; one in
 * flight → wait, unless its holder's lease ran out (its gateway died) → take over.
 */
export function decide(record: IdempotencyRecord | null, fingerprint: string, now: number): Decision {
  if (!record) return { action: 'start' };
  if (record.fingerprint !== fingerprint) return { action: 'mismatch' };
  if (record.state === 'done') return { action: 'replay', record };
  return record.lease_until <= now ? { action: 'take_over' } : { action: 'wait' };
}

/** Only final answers are kept: 2xx and 4xx. A 5xx/503 means "try again", so it is not. */
export const keepsAnswer = (status: number): boolean => (status >= 200 && status < 300) || (status >= 400 && status < 500);

/**
 * How deep a keyed request's body may nest. No body of this API nests beyond a few levels;
 * the bound keeps a hostile `[[[[…]]]]` (a body without a schema, e.g. on DELETE) from
 * overflowing the stack in canonicalJson, which would answer 5xx.
 */
export const MAX_BODY_DEPTH = 64;

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same body. Deeper than MAX_BODY_DEPTH → 400. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_BODY_DEPTH && value && typeof value === 'object')
    throw new HttpProblem(400, 'Invalid request', `The body nests deeper than ${MAX_BODY_DEPTH} levels.`, [
      { pointer: '/body', detail: `must not nest deeper than ${MAX_BODY_DEPTH} levels` },
    ]);
  // A file body (text/csv import): its digest, not an object of 20 million byte-keys.
  if (value instanceof Uint8Array) return JSON.stringify(`sha256:${createHash('sha256').update(value).digest('hex')}`);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The request's identity apart from the key: method, path with query, body. */
export const fingerprintOf = (method: string, url: string, body: unknown): string =>
  createHash('sha256')
    .update(`${method}\n${url}\n${body === undefined ? '' : canonicalJson(body)}`)
    .digest('hex');

/** The key of one agent's record: KV keys allow few characters, so the client's key is hashed. */
export const recordKey = (agentId: string, key: string): string => `${agentId}.${createHash('sha256').update(key).digest('hex')}`;

/**
 * The Idempotency-Key of a request it applies to, or null (no header, not a write, not an
 * authenticated /api request). A malformed key → 400.
 */
export function idempotencyKeyOf(req: FastifyRequest): string | null {
  if (!METHODS.has(req.method) || !req.url.startsWith('/api/') || !req.agent) return null;
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return null;
  // Node joins a repeated header into "k1, k2", which would pass as one key: count the lines sent.
  const sent = req.raw.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === IDEMPOTENCY_HEADER).length;
  if (typeof raw !== 'string' || sent > 1 || !KEY_RE.test(raw))
    throw new HttpProblem(400, 'Invalid request', 'Idempotency-Key must be 1–255 printable ASCII characters, sent once.', [
      { pointer: '/headers/idempotency-key', detail: 'must be 1–255 printable ASCII characters' },
    ]);
  return raw;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request holds the record of its Idempotency-Key and runs the command. */
    idempotency: { key: string; recordKey: string; revision: number; fingerprint: string } | null;
  }
}

/**
 * The command id of a write: derived from the agent's Idempotency-Key when there is one (so
 * a retry sends the very same command), random otherwise. The command's name is part of it
 * so two commands sent for one request could never share an id; so is the request's
 * fingerprint: after a 503 (the record is dropped) the key may come back with another body,
 * and that must be another command — not a duplicate the services answer with what the first
 * body stored.
 */
export function commandIdFor(req: FastifyRequest, agentId: string, command: string, fresh: () => string): string {
  const held = req.idempotency;
  return held ? deterministicId('idempotency', agentId, held.key, held.fingerprint, command) : fresh();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encode = (r: IdempotencyRecord) => JSON.stringify(r);

/** The live record under `key`, or null (never written, deleted, or expired). */
async function read(kv: KV, key: string): Promise<{ record: IdempotencyRecord; revision: number } | null> {
  const e = await kv.get(key);
  if (e?.operation !== 'PUT' || e.length === 0) return null;
  return { record: e.json<IdempotencyRecord>(), revision: e.revision };
}

function replay(reply: FastifyReply, record: DoneRecord) {
  reply.code(record.status).headers(record.headers).header(REPLAYED_HEADER, 'true');
  // Sent as stored: no serializer may reshape the first answer.
  return reply.serializer((x: unknown) => x as string).send(record.body ?? undefined);
}

export type IdempotencyOptions = {
  /** How long a request holds its key before another may take over (a dead gateway's lease). */
  leaseMs: number;
  /** How long a duplicate waits for the first request to finish before answering 409. */
  waitMs: number;
};

/**
 * Registers the hooks on the root instance (so they cover every route): a preHandler that
 * claims or replays, and an onSend that keeps the answer. Runs after authentication and
 * validation: a request that fails validation never reaches a route, and as Stripe does,
 * it keeps no record (the client fixes the body and may reuse the key).
 */
export async function registerIdempotency(app: FastifyInstance, opts: IdempotencyOptions): Promise<void> {
  const kv = await new Kvm(app.deps.nc).create(IDEMPOTENCY_BUCKET, { history: 1, ttl: IDEMPOTENCY_TTL_MS, replicas: natsReplicas() });
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req, reply) => {
    const key = idempotencyKeyOf(req);
    if (key === null || !req.agent) return;
    try {
      return await claimOrReplay(req, reply, key, req.agent.id);
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      // The records live in NATS, like the command path: unreachable → 503, nothing ran.
      throw new ServiceUnavailableError('idempotency', 'the record store (NATS KV) did not answer', { cause: err });
    }
  });

  /** Holds the key for this request (resolves undefined: the route runs), or answers for it. */
  async function claimOrReplay(req: FastifyRequest, reply: FastifyReply, key: string, agentId: string) {
    const rk = recordKey(agentId, key);
    const fingerprint = fingerprintOf(req.method, req.url, req.body);
    const deadline = Date.now() + opts.waitMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      const current = await read(kv, rk);
      const now = Date.now();
      const d = decide(current?.record ?? null, fingerprint, now);
      switch (d.action) {
        case 'start':
        case 'take_over': {
          // Atomic across replicas: create fails if anyone wrote first; update fails unless
          // the expired record is still the one we read. The loser reads again.
          const pending = encode({ state: 'pending', fingerprint, lease_until: now + opts.leaseMs });
          const claim = d.action === 'start' ? kv.create(rk, pending) : kv.update(rk, pending, current?.revision ?? 0);
          const revision = await claim.catch((err: unknown) => {
            if (isWrongLastSequence(err)) return null;
            throw err;
          });
          if (revision === null) continue;
          req.idempotency = { key, recordKey: rk, revision, fingerprint };
          return undefined;
        }
        case 'replay':
          req.log.info({ status: d.record.status }, 'idempotent replay');
          return replay(reply, d.record);
        case 'mismatch':
          throw new HttpProblem(
            422,
            'Idempotency-Key reused',
            'This Idempotency-Key was used for a different request (method, path or body). Use a new key.',
          );
        case 'wait':
          if (now >= deadline) {
            reply.header('retry-after', '1');
            throw new HttpProblem(
              409,
              'Request in progress',
              'A request with this Idempotency-Key is still being processed. Retry shortly to get its answer.',
            );
          }
          await sleep(Math.min(pause, Math.max(1, deadline - now)));
      }
    }
  }

  app.addHook('onSend', async (req, reply, payload) => {
    const held = req.idempotency;
    if (!held) return payload;
    req.idempotency = null;
    try {
      const body =
        payload === null || payload === undefined
          ? null
          : typeof payload === 'string'
            ? payload
            : Buffer.isBuffer(payload)
              ? payload.toString('utf8')
              : undefined;
      if (!keepsAnswer(reply.statusCode) || body === undefined || (body !== null && Buffer.byteLength(body) > MAX_KEPT_BODY_BYTES)) {
        await kv.delete(held.recordKey, { previousSeq: held.revision }).catch(() => {});
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const h of KEPT_HEADERS) {
        const v = reply.getHeader(h);
        if (v !== undefined) headers[h] = String(v);
      }
      const done: DoneRecord = {
        state: 'done',
        fingerprint: held.fingerprint,
        status: reply.statusCode,
        headers,
        body,
      };
      await kv.update(held.recordKey, encode(done), held.revision);
    } catch (err) {
      // NATS unreachable, or our lease ran out and another request took over: the answer
      // still goes out; a retry finds the record pending until its lease ends, then runs
      // again with the same command id.
      req.log.warn({ err: (err as Error).message }, 'could not keep the idempotent answer');
    }
    return payload;
  });
}
