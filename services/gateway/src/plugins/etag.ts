import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/index.ts';

/**
 * ETag / If-Match (RFC 9110 §8.8.3, §13.1.1) for single resources.
 *
 * Clients and tasks: a strong ETag `"<aggregate_seq>"` — the stream sequence of the last
 * event on the aggregate's subject, which the read model keeps. It changes with every write
 * and never repeats, and the owning service can compare it atomically with what it loads
 * (`meta.expected_seq`), so `If-Match` is checked where the write happens: a stale ETag →
 * 412 and nothing is written, even against a concurrent writer on another replica.
 * Emails (no client writes to compare against): a weak ETag of the representation.
 */

/** What an `If-Match` header asks for. */
export type IfMatch = { kind: 'none' } | { kind: 'any' } | { kind: 'seq'; seq: number } | { kind: 'never' };

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"$/;
const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Parses `If-Match`. `*` → the resource must exist; one strong tag of ours → its sequence;
 * a weak tag or a well-formed tag that is not ours can never match strongly → `never`
 * (412 without asking the service). Malformed, or several tags → 400 (we compare one
 * version; a list has no single expected sequence to send).
 */
export function parseIfMatch(header: string | string[] | undefined): IfMatch {
  if (header === undefined) return { kind: 'none' };
  const value = Array.isArray(header) ? header.join(',') : header;
  const trimmed = value.trim();
  if (trimmed === '*') return { kind: 'any' };
  const tags = trimmed.split(',').map((t) => t.trim());
  const bad = () =>
    new HttpProblem(400, 'Invalid request', 'If-Match must be one entity tag from an ETag this API sent, e.g. "42", or *.', [
      { pointer: '/headers/if-match', detail: 'must be one entity tag, e.g. "42", or *' },
    ]);
  if (tags.length !== 1) throw bad();
  const m = ENTITY_TAG.exec(tags[0] ?? '');
  if (!m) throw bad();
  if (m[1] || !SEQ.test(m[2] ?? '')) return { kind: 'never' };
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { kind: 'seq', seq } : { kind: 'never' };
}

/** The strong ETag of a client or task row, when the read model knows its sequence. */
export const seqEtag = (aggregateSeq: number | null | undefined): string | undefined =>
  typeof aggregateSeq === 'number' && aggregateSeq > 0 ? `"${aggregateSeq}"` : undefined;

/** A weak ETag of a representation (same JSON → same tag). */
export const weakEtag = (value: unknown): string =>
  `W/"${createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 27)}"`;

export function setEtag(reply: FastifyReply, etag: string | undefined): void {
  if (etag) reply.header('etag', etag);
}

const preconditionFailed = (detail: string) => new HttpProblem(412, 'Precondition failed', detail);

/**
 * Runs a write under the request's `If-Match`: `expectedSeq` goes to the owning service as
 * `meta.expected_seq` (it answers `precondition_failed` → 412 on a mismatch). A tag that can
 * never match fails here, before anything is sent; with `*` a missing resource (the
 * service's 404) is a failed precondition too.
 */
export async function withIfMatch<T>(req: FastifyRequest, write: (expectedSeq: number | undefined) => Promise<T>): Promise<T> {
  const ifMatch = parseIfMatch(req.headers['if-match']);
  if (ifMatch.kind === 'never')
    throw preconditionFailed('If-Match does not match the current version (send the ETag from your last read).');
  try {
    return await write(ifMatch.kind === 'seq' ? ifMatch.seq : undefined);
  } catch (err) {
    if (ifMatch.kind === 'any' && err instanceof HttpProblem && err.status === 404)
      throw preconditionFailed('If-Match: * but the resource does not exist.');
    throw err;
  }
}

/** OpenAPI: the request headers of writes (documentation; the checks above and in idempotency.ts enforce them). */
export const writeHeaders = (opts: { ifMatch: boolean }) =>
  Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({
        description:
          'Makes the write safe to retry (1–255 printable ASCII): the first answer (2xx/4xx) is kept 24 h and replayed for the same key and request (`Idempotent-Replayed: true`); the same key with another body → 422; while the first is in flight the second waits and replays, or gets 409.',
      }),
    ),
    ...(opts.ifMatch
      ? {
          'if-match': Type.Optional(
            Type.String({
              description: 'The ETag of your last read ("<seq>") or *: a stale one → 412 and nothing is written; malformed → 400.',
            }),
          ),
        }
      : {}),
  });
