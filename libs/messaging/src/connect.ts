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
