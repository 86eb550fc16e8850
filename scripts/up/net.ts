import { createServer, Socket } from 'node:net';

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on `port` (we can bind it on every interface and on 127.0.0.1). */
export async function portIsFree(port: number): Promise<boolean> {
  for (const host of ['0.0.0.0', '127.0.0.1']) {
    const ok = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return !(await tcpAnswers('127.0.0.1', port));
}

export function tcpAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export type NatsInfo = { server_id?: string; server_name?: string; version?: string; jetstream?: boolean };

/**
 * Connects over TCP and reads the `INFO {...}` line every NATS server sends first.
 * Resolves with its JSON when the peer speaks NATS, with null when it doesn't answer or
 * answers with something else.
 */
export function natsInfo(host: string, port: number, timeoutMs = 1500): Promise<NatsInfo | null> {
  return new Promise((resolve) => {
    const s = new Socket();
    let buf = '';
    const done = (v: NatsInfo | null) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(null));
    s.once('error', () => done(null));
    s.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > 64_000) done(null);
        return;
      }
      const line = buf.slice(0, nl);
      if (!line.startsWith('INFO ')) return done(null);
      try {
        done(JSON.parse(line.slice(5)) as NatsInfo);
      } catch {
        done(null);
      }
    });
    s.connect(port, host);
  });
}

/** host and port of the first server in a NATS URL list (`nats://a:4222,nats://b:4222`). */
export function firstNatsServer(urls: string): { host: string; port: number } {
  const first = urls.split(',')[0]?.trim() ?? '';
  const u = new URL(first.includes('://') ? first : `nats://${first}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 4222) };
}

export async function waitUntil<T>(
  fn: () => Promise<T | null | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | null },
): Promise<T | null> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (opts.abort?.()) return null;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
