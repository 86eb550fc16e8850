import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  COMMANDS,
  CommandMeta,
  type CommandName,
  type CommandPayload,
  type CommandReply,
  type CommandService,
  schemaIssues,
  subjects,
} from '@realtoros/contracts';
import { childTraceparent, type Logger, withCorrelation } from '@realtoros/observability';
import { ConcurrencyError, DomainError, ServiceUnavailableError } from './errors.ts';
import { isConnectionLost, isNoResponders, isTimeout } from './nats-errors.ts';

export type CommandRequest<P> = { meta: CommandMeta; payload: P };
export type CommandContext = { meta: CommandMeta; traceparent: string | null; log: Logger };
export type CommandResult<T> = { data: T; position: { stream: string; seq: number } | null };
export type CommandHandlers<S extends CommandService> = {
  [N in CommandName<S>]?: (payload: CommandPayload<S, N>, ctx: CommandContext) => Promise<CommandResult<unknown>>;
};

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Serves `cmd.<service>.*` in a queue group, so replicas share the load. Validates the
 * envelope and payload, runs the handler once, and always replies (DomainError → its code; anything else → `internal`
 * without leaking the message).
 */
export function serveCommands<S extends CommandService>(
  nc: NatsConnection,
  service: S,
  handlers: CommandHandlers<S>,
  log: Logger,
): Subscription {
  const sub = nc.subscribe(subjects.command(service, '*'), { queue: service });
  void (async () => {
    for await (const msg of sub) {
      void handle(msg.subject.split('.')[2] ?? '', msg.data, msg.headers?.get('traceparent') || null).then((reply) =>
        msg.respond(enc.encode(JSON.stringify(reply))),
      );
    }
  })();

  async function handle(name: string, data: Uint8Array, traceparent: string | null): Promise<CommandReply> {
    const schema = (COMMANDS[service] as Record<string, import('@sinclair/typebox').TSchema>)[name];
    const handler = (handlers as Record<string, ((p: unknown, c: CommandContext) => Promise<CommandResult<unknown>>) | undefined>)[name];
    if (!schema || !handler) return fail('validation', `unknown command ${service}.${name}`);
    let req: CommandRequest<unknown>;
    try {
      req = JSON.parse(dec.decode(data));
    } catch {
      return fail('validation', 'command is not JSON');
    }
    const metaIssues = schemaIssues(CommandMeta, req?.meta);
    if (metaIssues.length) return fail('validation', 'bad command metadata', metaIssues);
    const issues = schemaIssues(schema, req.payload);
    if (issues.length) return fail('validation', 'invalid command', issues);
    const ctx: CommandContext = {
      meta: req.meta,
      traceparent,
      log: withCorrelation(log, req.meta.correlation_id, { command: `${service}.${name}`, agent_id: req.meta.agent_id }),
    };
    // No retry here: optimistic-concurrency retries live in the command handler
    // (createCommandHandler), one place; a ConcurrencyError reaching us means it gave up.
    try {
      const result = await handler(req.payload, ctx);
      return { ok: true, data: result.data, position: result.position };
    } catch (err) {
      if (err instanceof DomainError) return fail(err.code, err.message, err.errors);
      if (err instanceof ConcurrencyError) return fail('conflict', 'the record changed concurrently; try again');
      ctx.log.error({ err }, 'command failed');
      return fail('internal', 'the service could not process the command');
    }
  }
  return sub;
}

function fail(code: DomainError['code'], detail: string, errors?: { pointer: string; detail: string }[]): CommandReply {
  return { ok: false, error: { code, detail, ...(errors ? { errors } : {}) } };
}

/**
 * Sends a command and waits for the owning service's reply. No responders (service down)
 * or no answer within the timeout → ServiceUnavailableError, quickly.
 */
export async function sendCommand<S extends CommandService, N extends CommandName<S>, R = unknown>(
  nc: NatsConnection,
  service: S,
  name: N,
  payload: CommandPayload<S, N>,
  meta: CommandMeta,
  opts: { timeoutMs?: number; traceparent?: string | null } = {},
): Promise<CommandReply<R>> {
  const h = headers();
  h.set('traceparent', childTraceparent(opts.traceparent));
  try {
    const msg = await nc.request(subjects.command(service, name), enc.encode(JSON.stringify({ meta, payload })), {
      timeout: opts.timeoutMs ?? 5000,
      headers: h,
    });
    return JSON.parse(dec.decode(msg.data)) as CommandReply<R>;
  } catch (err) {
    if (isTimeout(err)) throw new ServiceUnavailableError(service, 'no answer in time', { cause: err });
    if (isNoResponders(err)) throw new ServiceUnavailableError(service, 'not running', { cause: err });
    if (isConnectionLost(err)) throw new ServiceUnavailableError(service, 'connection to NATS lost', { cause: err });
    throw err;
  }
}
