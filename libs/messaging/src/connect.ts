import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@realtoros/observability';

/** Connects with endless reconnects and logs connection state changes. */
export async function connectNats(opts: { url: string; name: string; log: Logger; timeoutMs?: number }): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.url.split(','),
    name: opts.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: opts.timeoutMs ?? 5000,
    pingInterval: 10_000,
    // The client otherwise builds an Error (a stack trace) up front for every request, in
    // case it times out: a fifth of the scheduler's CPU under load. Our errors carry the
    // subject and the command; the async stack adds nothing an operator uses.
    noAsyncTraces: true,
  });
  opts.log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error')
        opts.log.warn({ status: s.type, server: 'server' in s ? s.server : undefined }, `NATS ${s.type}`);
    }
  })();
  return nc;
}
