import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How a paused proxy treats connections: `refuse` resets every open connection and every new
 * one at once (a server that is down: "connection refused/terminated"); `blackhole` keeps
 * them open and forwards nothing (a network partition: clients only notice by timing out).
 */
export type ProxyPauseMode = 'refuse' | 'blackhole';

export type TcpProxy = {
  /** Where clients connect instead of the target. */
  host: string;
  port: number;
  /** `url` with its host and port replaced by the proxy's (e.g. a DATABASE_URL). */
  rewrite(url: string): string;
  /** Cuts the target off for this proxy's clients only; the target keeps serving everyone else. */
  pause(mode?: ProxyPauseMode): void;
  /** Forwards new connections again (connections cut while paused stay cut: clients reconnect). */
  resume(): void;
  /** Connections currently forwarded. */
  connections(): number;
  close(): Promise<void>;
};

/**
 * A TCP proxy in front of one server (Postgres, NATS…) so a test can take that dependency
 * away from the processes it starts, and only from them: the real server keeps running for
 * the other suites sharing it.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let paused: ProxyPauseMode | null = null;
  const pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  const held = new Set<Socket>();
  const silenced = new Set<{ client: Socket; upstream: Socket | null }>();

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (paused === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (paused === 'blackhole') {
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host: '127.0.0.1',
    port,
    rewrite(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    pause(mode = 'refuse') {
      paused = mode;
      for (const pair of [...pairs]) {
        if (mode === 'refuse') {
          pairs.delete(pair);
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        } else {
          // Stop the bytes both ways but keep the sockets: the client sees silence, not an error.
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
          silenced.add(pair);
          pairs.delete(pair);
        }
      }
    },
    resume() {
      paused = null;
      // Silenced connections end now: their protocol state is unknown, clients reconnect.
      for (const s of held) s.resetAndDestroy();
      held.clear();
      for (const pair of silenced) {
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
      }
      silenced.clear();
    },
    connections: () => pairs.size,
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      for (const s of held) s.destroy();
      for (const pair of silenced) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
