/**
 * A small HTTP load driver for the benchmarks: keep-alive sockets (node:http, no fetch
 * overhead on the driver's share of the two cores), a fixed number of requests in flight,
 * each request's latency recorded. Not a test helper: it never asserts, it measures.
 */
import { Agent, request } from 'node:http';

export type Answer = { status: number; body: string; ms: number };

export function httpClient(base: string, inFlight: number) {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
  return { call, close: () => agent.destroy() };
}

/** Runs `count` jobs with at most `limit` in flight; `onDone` sees each finished count. */
export async function inFlight(count: number, limit: number, job: (i: number) => Promise<void>, onDone?: (finished: number) => void) {
  let next = 0;
  let finished = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await job(i);
      onDone?.(++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** The q-quantile (0..1) of a list of numbers (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
