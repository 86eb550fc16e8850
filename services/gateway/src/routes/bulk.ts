import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BULK_FILTER_CAP,
  type BulkBody,
  BulkBody as BulkBodySchema,
  type BulkResult,
  BulkResponse,
  CLIENT_STAGES,
  type ClientStage,
  type CommandName,
  type CommandPayload,
  type CommandReply,
  type CommandService,
  ProblemDetails,
  type StreamName,
  Tag,
  TAGS_MAX,
  tagKey,
} from '@realtoros/contracts';
import { deterministicId, sendCommand, ServiceUnavailableError } from '@realtoros/messaging';
import { clientIdsMatching, clientsByIds, enrollmentsOf, getPlan } from '@realtoros/queries';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { HttpProblem } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';
import { waitForProjection } from '../plugins/commands.ts';

/** Commands in flight at once for one bulk request: enough to keep crm/scheduler busy, few enough not to starve other agents' writes. */
export const BULK_CONCURRENCY = 16;
/** How often a tag is tried again when the client changed between reading its tags and writing them (If-Match refused). */
const TAG_ATTEMPTS = 5;

type Row = { stage: string; tags: string[]; aggregate_seq: number | null };
type Outcome = Omit<BulkResult, 'id'>;
type Sender = <S extends CommandService, N extends CommandName<S>>(
  service: S,
  name: N,
  payload: CommandPayload<S, N>,
  clientId: string,
  expectedSeq?: number,
) => Promise<CommandReply<unknown>>;

const bad = (pointer: string, detail: string) => new HttpProblem(400, 'Invalid request', detail, [{ pointer, detail }]);

/**
 * POST /api/clients/bulk (issue 10): one action on many of the agent's clients, as the
 * existing per-client commands (crm update_client / delete_client, scheduler enroll_client /
 * change_enrollment), BULK_CONCURRENCY at a time. Thin: which clients and which command is
 * decided here, every rule stays in the services. Choices (services/gateway/DESIGN.md, Bulk):
 * - the selection is the agent's live clients in the read model (`ids` ∩ theirs, or the
 *   filter's matches, at most BULK_FILTER_CAP); anything else is `not_found` and no command is
 *   sent for it; the services check again (a command carries the caller's agent id and loads
 *   `crm.<agent>.client.<id>`), so a client deleted meanwhile is `not_found` too;
 * - a per-client failure is that client's result, never the request's; a service that does
 *   not answer stops the rest (`error`, "not tried");
 * - with an Idempotency-Key each command id derives from (key, request, client), so a
 *   retried request repeats the very same commands and the services absorb them;
 * - no read-your-writes per client: once at the end, for the highest position per stream.
 */
export const bulkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', requireAgent);

  app.post(
    '/api/clients/bulk',
    {
      schema: {
        tags: ['clients'],
        security: [{ bearer: [] }],
        description:
          'One action on many clients: `ids` (1–1,000, answered in that order) or `filter` (the list filters; every match, newest first, at most 10,000 — more is a 400). `value`: the stage (set_stage), the plan id (enroll), the tag (tag); none for end_enrollment and delete. One result per client: `ok` (done, or already so), `not_found` (not one of your clients; nothing done), `error` (with `detail`). Accepts Idempotency-Key.',
        body: BulkBodySchema,
        response: {
          200: BulkResponse,
          400: ProblemDetails,
          401: ProblemDetails,
          409: ProblemDetails,
          422: ProblemDetails,
          503: ProblemDetails,
        },
      },
    },
    async (req, reply) => {
      const agentId = agentOf(req).id;
      const body = req.body;
      await checkValue(app, agentId, body);
      const requested = await selection(app, agentId, body);
      const unique = [...new Set(requested)];
      const rows = await clientsByIds(app.deps.db, agentId, unique);
      const enrollments =
        body.action === 'end_enrollment'
          ? await enrollmentsOf(
              app.deps.db,
              agentId,
              unique.filter((id) => rows.has(id)),
            )
          : null;

      const highest = new Map<string, number>();
      let down: string | null = null;
      const send: Sender = async (service, name, payload, clientId, expectedSeq) => {
        const r = await sendCommand(
          app.deps.nc,
          service,
          name,
          payload,
          metaFor(req, agentId, `${service}.${name}`, clientId, expectedSeq),
          {
            timeoutMs: app.deps.config.COMMAND_TIMEOUT_MS,
            traceparent: (req.headers.traceparent as string | undefined) ?? null,
          },
        );
        if (r.ok && r.position) highest.set(r.position.stream, Math.max(highest.get(r.position.stream) ?? 0, r.position.seq));
        return r;
      };

      const outcomes = new Map<string, Outcome>();
      await eachLimited(unique, BULK_CONCURRENCY, async (id) => {
        const row = rows.get(id);
        if (!row) return outcomes.set(id, { status: 'not_found' });
        if (down) return outcomes.set(id, { status: 'error', detail: `not tried: the ${down} service is unavailable` });
        try {
          outcomes.set(id, await applyTo(app, agentId, body, id, row, enrollments?.get(id) ?? null, send));
        } catch (err) {
          if (err instanceof ServiceUnavailableError) {
            down = err.service;
            outcomes.set(id, {
              status: 'error',
              detail: `the ${err.service} service did not answer: it may not have been done; send the request again to be sure`,
            });
          } else {
            req.log.error({ err, client_id: id }, 'bulk action failed for a client');
            outcomes.set(id, { status: 'error', detail: 'internal error' });
          }
        }
      });

      const results = requested.map((id) => ({ id, ...(outcomes.get(id) ?? { status: 'error' as const, detail: 'not tried' }) }));
      // The writes are committed: from here nothing may report them as failed. One wait per
      // stream for the highest position reached covers every earlier write on that stream.
      req.committedWrite = { data: { results }, projected: true, position: null };
      for (const [stream, seq] of highest)
        if (!(await waitForProjection(app, stream as StreamName, seq))) req.committedWrite.projected = false;
      return reply.code(200).send({ results });
    },
  );
};

/** The pairing of action and value (400 at /value), and for enroll that the plan is one of the agent's. */
async function checkValue(app: FastifyInstance, agentId: string, body: BulkBody): Promise<void> {
  const { action, value } = body;
  if (body.ids !== undefined && body.filter !== undefined) throw bad('/filter', 'give either ids or filter, not both');
  if (body.ids === undefined && body.filter === undefined) throw bad('/ids', 'give ids (1–1,000 client ids) or a filter');
  const needs = action === 'set_stage' || action === 'enroll' || action === 'tag';
  if (!needs) {
    if (value !== undefined) throw bad('/value', `${action} takes no value`);
    return;
  }
  if (value === undefined)
    throw bad(
      '/value',
      `${action} needs a value (${action === 'set_stage' ? 'the stage' : action === 'enroll' ? 'the plan id' : 'the tag'})`,
    );
  if (action === 'set_stage' && !(CLIENT_STAGES as readonly string[]).includes(value))
    throw bad('/value', `must be one of: ${CLIENT_STAGES.join(', ')}`);
  if (action === 'tag' && !Value.Check(Tag, value))
    throw bad('/value', 'a tag is 1–40 characters with at least one that is not a space, and no comma, semicolon or control character');
  if (action === 'enroll') {
    const plan = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
      ? await getPlan(app.deps.db, agentId, value)
      : null;
    if (!plan) throw bad('/value', 'must be the id of one of your plans');
  }
}

/** The requested ids in order, or the filter's matches (newest first); a filter over the cap is refused, not cut. */
async function selection(app: FastifyInstance, agentId: string, body: BulkBody): Promise<string[]> {
  if (body.ids) return body.ids.map((id) => id.toLowerCase());
  const ids = await clientIdsMatching(app.deps.db, agentId, body.filter ?? {}, BULK_FILTER_CAP + 1);
  if (ids.length > BULK_FILTER_CAP)
    throw bad('/filter', `the filter matches more than ${BULK_FILTER_CAP.toLocaleString('en-US')} clients; narrow it (or send ids)`);
  return ids;
}

/** One client: the command for the action, its answer as the client's result. */
async function applyTo(
  app: FastifyInstance,
  agentId: string,
  body: BulkBody,
  id: string,
  row: Row,
  enrollment: { status: string } | null,
  send: Sender,
): Promise<Outcome> {
  switch (body.action) {
    case 'set_stage':
      // Already in that stage: the crm decides nothing (ok), the command costs one round trip.
      return outcomeOf(await send('crm', 'update_client', { client_id: id, changes: { stage: body.value as ClientStage } }, id));
    case 'delete':
      return outcomeOf(await send('crm', 'delete_client', { client_id: id }, id));
    case 'enroll':
      return outcomeOf(await send('scheduler', 'enroll_client', { client_id: id, plan_id: body.value as string }, id));
    case 'end_enrollment': {
      // Nothing to end is not a failure: the client ends up with no running plan, as asked.
      if (!enrollment) return { status: 'ok', detail: 'was not enrolled' };
      if (enrollment.status === 'ended') return { status: 'ok', detail: 'enrolment already ended' };
      const r = await send('scheduler', 'change_enrollment', { client_id: id, action: 'end' }, id);
      if (!r.ok && r.error.code === 'illegal_transition') return { status: 'ok', detail: 'enrolment already ended' };
      return outcomeOf(r);
    }
    case 'tag':
      return tagOne(app, agentId, id, row, body.value as string, send);
    default: {
      const unhandled: never = body.action;
      throw new Error(`unhandled bulk action ${String(unhandled)}`);
    }
  }
}

/**
 * Adds one tag: the client's tags plus this one, written with If-Match on the sequence the
 * tags were read at, so a concurrent edit of the tags is never overwritten. A refusal (the
 * client changed, or the read model lagged) reads the row again and retries, a few times.
 */
async function tagOne(app: FastifyInstance, agentId: string, id: string, first: Row, tag: string, send: Sender): Promise<Outcome> {
  let row: Row | undefined = first;
  for (let attempt = 1; ; attempt++) {
    if (!row) return { status: 'not_found' };
    if (row.tags.some((t) => tagKey(t) === tagKey(tag))) return { status: 'ok', detail: 'already tagged' };
    if (row.tags.length >= TAGS_MAX) return { status: 'error', detail: `already has ${TAGS_MAX} tags, the most a client can have` };
    const r = await send(
      'crm',
      'update_client',
      { client_id: id, changes: { tags: [...row.tags, tag.trim()] } },
      id,
      row.aggregate_seq ?? undefined,
    );
    if (r.ok || r.error.code !== 'precondition_failed' || attempt >= TAG_ATTEMPTS)
      return r.ok || r.error.code !== 'precondition_failed'
        ? outcomeOf(r)
        : { status: 'error', detail: 'the client kept changing; try again' };
    await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    row = (await clientsByIds(app.deps.db, agentId, [id])).get(id);
  }
}

/** A service's answer → the client's result; `not_found` only when the service says so. */
function outcomeOf(r: CommandReply<unknown>): Outcome {
  if (r.ok) return { status: 'ok' };
  if (r.error.code === 'not_found') return { status: 'not_found', detail: r.error.detail };
  const first = r.error.errors?.[0];
  return { status: 'error', detail: first ? `${r.error.detail} (${first.pointer}: ${first.detail})` : r.error.detail };
}

/**
 * The meta of one client's command. With an Idempotency-Key the id derives from the key, the
 * request's fingerprint, the command and the client, so the same bulk request sent again
 * repeats each client's very command (services absorb a repeat) and no two clients share one.
 */
function metaFor(req: FastifyRequest, agentId: string, command: string, clientId: string, expectedSeq: number | undefined) {
  const held = req.idempotency;
  return {
    command_id: held ? deterministicId('idempotency', agentId, held.key, held.fingerprint, `bulk.${command}`, clientId) : uuidv7(),
    agent_id: agentId,
    correlation_id: String(req.id),
    issued_at: new Date().toISOString(),
    ...(expectedSeq !== undefined ? { expected_seq: expectedSeq } : {}),
  };
}

/** Runs `fn` over `items`, at most `limit` at a time, in order of start. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
