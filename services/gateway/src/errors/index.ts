import type { CommandReply } from '@realtoros/contracts';
import { ServiceUnavailableError } from '@realtoros/messaging';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

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
  400: 'validation-error', 401: 'unauthorized', 404: 'not-found', 409: 'conflict', 413: 'payload-too-large',
  415: 'unsupported-media-type', 429: 'too-many-requests', 500: 'internal-error', 503: 'service-unavailable',
};
const TITLES: Record<number, string> = {
  400: 'Invalid request', 401: 'Unauthorized', 404: 'Not found', 409: 'Conflict', 413: 'Request body too large',
  415: 'Unsupported media type', 500: 'Internal server error', 503: 'Service unavailable',
};

export function sendProblem(reply: FastifyReply, status: number, detail?: string, extra: { title?: string; errors?: { pointer: string; detail: string }[] } = {}) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `https://realtoros.dev/problems/${TYPES[status] ?? 'error'}`,
      title: extra.title ?? TITLES[status] ?? 'Error',
      status,
      ...(detail ? { detail } : {}),
      instance: reply.request.url,
      ...(extra.errors ? { errors: extra.errors } : {}),
    });
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
    default:
      return new HttpProblem(500, 'Internal server error');
  }
}

/** ajv's instancePath + params → a JSON pointer to the offending field. */
function pointerOf(e: { instancePath?: string; keyword?: string; params?: Record<string, unknown> }, context: string): string {
  const base = e.instancePath || '';
  if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') return `${base}/${e.params.missingProperty}`;
  if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') return `${base}/${e.params.additionalProperty}`;
  return base || (context === 'body' ? '/' : `/${context}`);
}

function messageOf(e: { keyword?: string; message?: string; params?: Record<string, unknown> }): string {
  if (e.keyword === 'additionalProperties') return 'is not an accepted field';
  if (e.keyword === 'enum' && Array.isArray(e.params?.allowedValues)) return `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return e.message ?? 'is invalid';
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route for ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpProblem) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return sendProblem(reply, err.status, err.status >= 500 ? undefined : err.message, { title: err.title, ...(err.errors ? { errors: err.errors } : {}) });
    }
    if (err instanceof ServiceUnavailableError) {
      req.log.warn({ err: err.message }, 'owning service unavailable');
      reply.header('retry-after', '5');
      return sendProblem(reply, 503, `The ${err.service} service is not answering right now; nothing was changed. Try again shortly.`);
    }
    if (err.validation) {
      const context = err.validationContext ?? 'body';
      const errors = err.validation.map((e) => ({ pointer: pointerOf(e as never, context), detail: messageOf(e as never) }));
      // Query and path problems point into the query string/path, body problems into the body.
      const scoped = context === 'body' ? errors : errors.map((x) => ({ ...x, pointer: x.pointer.startsWith(`/${context}`) ? x.pointer : `/${context}${x.pointer}` }));
      return sendProblem(reply, 400, `The ${context} is invalid.`, { errors: scoped });
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
