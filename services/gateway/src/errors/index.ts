import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type CommandReply, FORMAT_DETAILS } from '@realtoros/contracts';
import { isNatsUnavailable, ServiceUnavailableError } from '@realtoros/messaging';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * RFC 9457 problem details, in one place: every error the API answers with is built here,
 * domain error codes map to HTTP statuses here, and 5xx details never reach clients.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  readonly title: string;
  readonly errors: { pointer: string; detail: string }[] | undefined;
  constructor(status: number, title: string, detail?: string, errors?: { pointer: string; detail: string }[]) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.errors = errors;
  }
}

const TYPES: Record<number, string> = {
  400: 'validation-error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  408: 'request-timeout',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  429: 'too-many-requests',
  431: 'request-header-fields-too-large',
  500: 'internal-error',
  503: 'service-unavailable',
};
const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Request body too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request headers too large',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** The problem document itself (also written raw to a socket, before Fastify has a request). */
type ProblemExtra = { title?: string; errors?: { pointer: string; detail: string }[]; extensions?: Record<string, unknown> };

function problemBody(status: number, detail: string | undefined, instance: string | undefined, extra: ProblemExtra = {}) {
  return {
    ...extra.extensions,
    type: `https://realtoros.dev/problems/${TYPES[status] ?? 'error'}`,
    title: extra.title ?? TITLES[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...(instance ? { instance } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
}

/** The path only, bounded: `instance` names the resource, it doesn't echo a 3,000-character URL back. */
const instanceOf = (url: string) => {
  const path = url.split('?')[0] ?? '';
  return path.length > 200 ? undefined : path;
};

export function sendProblem(reply: FastifyReply, status: number, detail?: string, extra: ProblemExtra = {}) {
  // A custom serializer: the route's response schema for this status must not reshape (or
  // reject) the problem document.
  return reply
    .code(status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(problemBody(status, detail, instanceOf(reply.request.url), extra));
}

export const notFound = (what: string) => new HttpProblem(404, 'Not found', `${what} not found`);

/** A service's error reply → the HTTP problem the client sees. */
export function problemFromReply(reply: Extract<CommandReply, { ok: false }>): HttpProblem {
  const { code, detail, errors } = reply.error;
  switch (code) {
    case 'validation':
      return new HttpProblem(400, 'Invalid request', detail, errors);
    case 'not_found':
      return new HttpProblem(404, 'Not found', detail);
    case 'conflict':
      return new HttpProblem(409, 'Conflict', detail, errors);
    case 'illegal_transition':
      return new HttpProblem(409, 'Illegal transition', detail);
    case 'precondition_failed':
      return new HttpProblem(412, 'Precondition failed', detail);
    default:
      return new HttpProblem(500, 'Internal server error');
  }
}

/** ajv's instancePath + params → a JSON pointer to the offending field. */
function pointerOf(e: { instancePath?: string; keyword?: string; params?: Record<string, unknown> }, context: string): string {
  const base = e.instancePath || '';
  if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') return `${base}/${e.params.missingProperty}`;
  if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string')
    return `${base}/${e.params.additionalProperty}`;
  return base || (context === 'body' ? '/' : `/${context}`);
}

function messageOf(e: { keyword?: string; message?: string; params?: Record<string, unknown> }): string {
  if (e.keyword === 'additionalProperties') return 'is not an accepted field';
  if (e.keyword === 'enum' && Array.isArray(e.params?.allowedValues))
    return `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
  // Same wording as the services' schemaIssues, so a form shows one message whoever refused it.
  if (e.keyword === 'format' && e.params?.format === 'text') return 'must not contain NUL characters or unpaired surrogates';
  if (e.keyword === 'format' && e.params?.format === 'date-time')
    return 'must be a real date and time (RFC 3339, e.g. 2026-06-30T23:59:59Z)';
  // time-zone, time-of-day, local-date: the contracts' words, so the API and the services say the same.
  if (e.keyword === 'format' && typeof e.params?.format === 'string' && FORMAT_DETAILS[e.params.format])
    return FORMAT_DETAILS[e.params.format] as string;
  return e.message ?? 'is invalid';
}

/** The header a write answers with when it was committed but the read models could not confirm it yet. */
export const READ_YOUR_WRITES_HEADER = 'read-your-writes';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by `execute` once the owning service has committed a write: whatever fails after
     * that point (reading the result back from Postgres) must not report the write as failed.
     */
    committedWrite: { data: unknown; projected: boolean; position: { stream: string; seq: number } | null } | null;
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Postgres (or the pool in front of it) is not answering: connection refused, reset or timed
 * out, the server shutting down or full. Those are a dependency being down (503), never a
 * bug. SQLSTATE class 08 = connection exception, 57P01–57P03 = shutdown/starting, 53300 = too
 * many connections. node-postgres gives a pool wait or a socket closed mid-query no code, so
 * for those its message is all there is.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300'))
    return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  if (
    /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Query read timeout/i.test(
      err.message,
    )
  )
    return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}

/**
 * A value Postgres refused as data (SQLSTATE class 22: invalid text, untranslatable
 * character, out-of-range date…). Input validation should stop these first; if one slips
 * through it is still the request's value, so 400, not 500.
 */
const isDataException = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && typeof (err as { severity?: unknown }).severity === 'string';
};

/**
 * The write was committed by its service but reading it back failed: answer with the
 * route's success status and the service's own reply, saying the read models lag.
 */
function answerCommitted(req: FastifyRequest, reply: FastifyReply, committed: { data: unknown }) {
  const declared =
    Object.keys((req.routeOptions.schema?.response ?? {}) as Record<string, unknown>)
      .map(Number)
      .filter((s) => s >= 200 && s < 300)
      .sort((a, b) => a - b)[0] ?? 200;
  reply.header(READ_YOUR_WRITES_HEADER, 'pending');
  if (declared === 204) return reply.code(204).send();
  // Through the route's own response schema when the reply fits it (fields it doesn't declare
  // are dropped, so nothing internal leaks); as sent otherwise.
  let body: string;
  try {
    body = String(reply.serializeInput(committed.data as Record<string, unknown>, String(declared)));
  } catch {
    body = JSON.stringify(committed.data);
  }
  return reply
    .code(declared)
    .type('application/json')
    .serializer(() => body)
    .send(committed.data);
}

/**
 * For a route whose write was committed but whose read model does not show it yet (the
 * projector is behind): the same answer as when Postgres is down — success, the service's
 * reply, `Read-Your-Writes: pending` — never a 404 for something that was just done.
 */
export function answerCommittedWrite(req: FastifyRequest, reply: FastifyReply) {
  if (!req.committedWrite) throw new Error('answerCommittedWrite without a committed write');
  return answerCommitted(req, reply, req.committedWrite);
}

/**
 * Errors the HTTP parser meets before Fastify has a request (headers or URL too large, a
 * malformed request line, a slow client): answered as problem details on the raw socket.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_URI_TOO_LONG' ? 414 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'The request line and headers together are larger than this API accepts.'
      : status === 408
        ? 'The request took too long to arrive.'
        : 'The request is not valid HTTP.';
  const body = JSON.stringify(problemBody(status, detail, undefined, status === 400 ? { title: 'Bad request' } : {}));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Errors the router meets (a malformed URL, a path parameter over maxParamLength). */
export function answerFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return sendProblem(reply, 414, 'A path segment is longer than any id or token this API uses.');
  return sendProblem(reply, 400, 'The URL is not valid (bad percent-encoding?).', { title: 'Bad request' });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.decorateRequest('committedWrite', null);
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route for ${req.method} ${instanceOf(req.url) ?? 'this path'}`));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpProblem) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return sendProblem(reply, err.status, err.status >= 500 ? undefined : err.message, {
        title: err.title,
        ...(err.errors ? { errors: err.errors } : {}),
      });
    }
    // A route's own NATS call (the import file store, a KV read) with NATS away is the same 503
    // as a command nobody answers, whichever route made it.
    const unavailable =
      err instanceof ServiceUnavailableError
        ? err
        : isNatsUnavailable(err)
          ? new ServiceUnavailableError('messaging', 'NATS did not answer', { cause: err })
          : null;
    if (unavailable) {
      req.log.warn({ err: unavailable.message }, 'owning service unavailable');
      reply.header('retry-after', '5');
      // Only the webhook sends several commands per request (batches of 1,000): when a later one
      // fails, the earlier ones are recorded, and a retry is safe (events dedupe on sg_event_id).
      const outcome = req.committedWrite
        ? 'part of the request was recorded before it stopped; sending it again is safe'
        : 'nothing was changed';
      return sendProblem(reply, 503, `The ${unavailable.service} service is not answering right now; ${outcome}. Try again shortly.`);
    }
    if (isDatabaseUnavailable(err)) {
      if (req.committedWrite) {
        req.log.warn({ err: err.message }, 'write committed; read models unavailable to read it back');
        return answerCommitted(req, reply, req.committedWrite);
      }
      req.log.warn({ err: err.message }, 'read models unavailable');
      reply.header('retry-after', '5');
      return sendProblem(reply, 503, 'The database is not answering right now. Try again shortly.');
    }
    if (err.validation) {
      const context = err.validationContext ?? 'body';
      const errors = err.validation.map((e) => ({ pointer: pointerOf(e as never, context), detail: messageOf(e as never) }));
      // Query and path problems point into the query string/path, body problems into the body.
      const scoped =
        context === 'body'
          ? errors
          : errors.map((x) => ({ ...x, pointer: x.pointer.startsWith(`/${context}`) ? x.pointer : `/${context}${x.pointer}` }));
      return sendProblem(reply, 400, `The ${context} is invalid.`, { errors: scoped });
    }
    if (isDataException(err)) {
      req.log.warn({ err }, 'postgres refused a value from the request');
      return sendProblem(reply, 400, 'A value in the request cannot be used.');
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, 400, 'The body is not valid JSON.', { title: 'Malformed JSON' });
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        // The contract answers oversized bodies with 400 like any other bad input.
        return sendProblem(reply, 400, 'The body is larger than this API accepts.', { title: 'Request body too large' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 415, 'Send JSON (application/json).');
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendProblem(reply, err.statusCode, err.message);
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 500);
  });
}
