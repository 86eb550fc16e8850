import type { CommandName, CommandPayload, CommandService, StreamName } from '@realtoros/contracts';
import { sendCommand } from '@realtoros/messaging';
import { projectedSeq } from '@realtoros/queries';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { problemFromReply } from '../errors/index.ts';
import { agentOf } from './auth.ts';
import { commandIdFor } from './idempotency.ts';

/**
 * Sends a command to its owning service for the requesting agent and returns the result.
 * Read-your-writes: before answering, waits (bounded) until the projector's checkpoint for
 * the written stream reaches the write's sequence, so the agent's next read shows it.
 */
export async function execute<S extends CommandService, N extends CommandName<S>, R>(
  app: FastifyInstance,
  req: FastifyRequest,
  service: S,
  name: N,
  payload: CommandPayload<S, N>,
  /** `expectedSeq`: the If-Match version, sent as `meta.expected_seq` (the service answers 412 on a mismatch). */
  opts: { agentId?: string; timeoutMs?: number; expectedSeq?: number | undefined } = {},
): Promise<R> {
  const agentId = opts.agentId ?? agentOf(req).id;
  // With an Idempotency-Key the command id derives from it, so a retry is the very same command.
  const meta = {
    command_id: commandIdFor(req, agentId, `${service}.${name}`, uuidv7),
    agent_id: agentId,
    correlation_id: String(req.id),
    issued_at: new Date().toISOString(),
    ...(opts.expectedSeq !== undefined ? { expected_seq: opts.expectedSeq } : {}),
  };
  const reply = await sendCommand<S, N, R>(app.deps.nc, service, name, payload, meta, {
    timeoutMs: opts.timeoutMs ?? app.deps.config.COMMAND_TIMEOUT_MS,
    traceparent: (req.headers.traceparent as string | undefined) ?? null,
  });
  if (!reply.ok) throw problemFromReply(reply);
  // From here on the write has happened: nothing below may report it as failed. If the read
  // models cannot confirm it (projector behind, Postgres down), the answer still says done,
  // with `Read-Your-Writes: pending`; the error handler answers with `reply.data` should
  // reading the result back fail (errors/index.ts).
  req.committedWrite = { data: reply.data, projected: true, position: reply.position ?? null };
  if (reply.position) req.committedWrite.projected = await waitForProjection(app, reply.position.stream as StreamName, reply.position.seq);
  return reply.data;
}

/**
 * Waits, bounded by READ_YOUR_WRITES_TIMEOUT_MS, until the projector has committed `stream`
 * up to `seq`: on its announcement (app.projection), with a look at the checkpoint in
 * Postgres now and then in case one was missed. True when it did; false when it did not in
 * time or Postgres could not be asked (down, pool exhausted): never throws, since the write
 * it waits for is already committed.
 */
export async function waitForProjection(app: FastifyInstance, stream: StreamName, seq: number): Promise<boolean> {
  const deadline = Date.now() + app.deps.config.READ_YOUR_WRITES_TIMEOUT_MS;
  try {
    // Bounded by the deadline too: a Postgres that accepts connections but never answers
    // would otherwise hold the request for the pool's connection timeout.
    const ok = await app.projection.waitFor(stream, seq, deadline, () => withDeadline(projectedSeq(app.deps.db, stream), deadline));
    if (!ok) app.log.warn({ stream, seq }, 'read model did not catch up in time');
    return ok;
  } catch (err) {
    app.log.warn({ stream, seq, err: (err as Error).message }, 'read models unavailable: cannot confirm the write is projected');
    return false;
  }
}

/** The promise's value, or -1 once `deadline` (epoch ms) has passed; a late rejection is ignored. */
function withDeadline(p: Promise<number>, deadline: number): Promise<number> {
  p.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(-1), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
