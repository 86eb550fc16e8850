import type { CommandName, CommandPayload, CommandService, StreamName } from '@realtoros/contracts';
import { sendCommand } from '@realtoros/messaging';
import { projectedSeq } from '@realtoros/queries';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { problemFromReply } from '../errors/index.ts';
import { agentOf } from './auth.ts';

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
  opts: { agentId?: string; timeoutMs?: number } = {},
): Promise<R> {
  const agentId = opts.agentId ?? agentOf(req).id;
  const meta = { command_id: uuidv7(), agent_id: agentId, correlation_id: String(req.id), issued_at: new Date().toISOString() };
  const reply = await sendCommand<S, N, R>(app.deps.nc, service, name, payload, meta, {
    timeoutMs: opts.timeoutMs ?? app.deps.config.COMMAND_TIMEOUT_MS,
    traceparent: (req.headers.traceparent as string | undefined) ?? null,
  });
  if (!reply.ok) throw problemFromReply(reply);
  if (reply.position) await waitForProjection(app, reply.position.stream as StreamName, reply.position.seq);
  return reply.data;
}

export async function waitForProjection(app: FastifyInstance, stream: StreamName, seq: number): Promise<boolean> {
  const deadline = Date.now() + app.deps.config.READ_YOUR_WRITES_TIMEOUT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 50)) {
    if ((await projectedSeq(app.deps.db, stream)) >= seq) return true;
    if (Date.now() > deadline) {
      app.log.warn({ stream, seq }, 'read model did not catch up in time');
      return false;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}
