import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/**
 * A readiness check: resolves when the dependency answers. It fails when it rejects, resolves
 * `false`, or takes longer than the server's `checkTimeoutMs` (a NATS flush while the
 * connection is reconnecting never settles, and a probe must answer in time).
 */
export type HealthCheck = () => Promise<unknown>;

export type HealthServerOptions = {
  /** 0 = no health endpoint (e.g. a second replica on one host in tests). */
  port: number;
  host?: string;
  log: Logger;
  /** Named dependencies `GET /readyz` checks, e.g. `{ nats: () => nc.flush() }`. */
  checks: Record<string, HealthCheck>;
  checkTimeoutMs?: number;
};

export type HealthServer = {
  /** The bound port; 0 when there is no endpoint (disabled, or the port was taken). */
  port: number;
  close(): Promise<void>;
};

export type Readiness = { ready: boolean; checks: Record<string, boolean> };

/** Runs every check at once, each bounded by `timeoutMs`; ready when all pass. */
export async function readiness(checks: Record<string, HealthCheck>, timeoutMs = 2000): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        const ok = await Promise.race([check().then((v) => v !== false), timeout]);
        return [name, ok] as const;
      } catch {
        return [name, false] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: entries.every(([, ok]) => ok), checks: Object.fromEntries(entries) };
}

/**
 * A tiny HTTP server for the services that have no HTTP API (crm, scheduler, ai-agent,
 * mailer, projector), for compose health checks and Kubernetes probes:
 * - `GET /healthz` — liveness: the event loop answers (200 `{status: "ok"}`);
 * - `GET /readyz` — readiness: every check passes (200 `ready`, else 503 `not ready` with
 *   which check failed).
 * Anything else is 404. It never reads a body and answers with no dependency detail beyond
 * the check names, so it is safe on a pod IP.
 *
 * A port already in use (two replicas of one service on one machine, as `npm run up` and the
 * failure tests do) is logged and the service runs on without the endpoint: a probe is an
 * aid for the orchestrator, not a reason to refuse work. In a container the port is the
 * pod's own, so a missing endpoint there shows up at once as a failing probe.
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const none: HealthServer = { port: 0, close: async () => {} };
  if (opts.port === 0) return none;
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { status: 'method not allowed' });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      void readiness(opts.checks, timeoutMs).then(
        (r) => send(r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks }),
        () => send(503, { status: 'not ready' }),
      );
      return;
    }
    send(404, { status: 'not found' });
  });
  // Probes must never keep a stopping process alive.
  server.keepAliveTimeout = 1000;
  server.requestTimeout = 5000;

  const bound = await new Promise<boolean>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', onError);
      resolve(true);
    });
  });
  if (!bound) {
    opts.log.warn({ port: opts.port }, 'health port in use (another replica on this machine?); running without /healthz and /readyz');
    return none;
  }
  server.unref();
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'health endpoint on /healthz and /readyz');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
