import type { FastifyInstance } from 'fastify';

/**
 * Prometheus metrics without a dependency: request counts by route/method/status and a
 * latency histogram. Enough for dashboards and alerts on error rate and p99.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function registerMetrics(app: FastifyInstance): void {
  const counts = new Map<string, number>();
  const hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  const started = Date.now();
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `method="${req.method}",route="${route}",status="${reply.statusCode}"`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const hkey = `method="${req.method}",route="${route}"`;
    const h = hist.get(hkey) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    const seconds = reply.elapsedTime / 1000;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i] = (h.buckets[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count++;
    hist.set(hkey, h);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const lines = [
      '# HELP http_requests_total HTTP requests by route and status',
      '# TYPE http_requests_total counter',
      ...[...counts].map(([k, v]) => `http_requests_total{${k}} ${v}`),
      '# HELP http_request_duration_seconds HTTP request latency',
      '# TYPE http_request_duration_seconds histogram',
    ];
    for (const [k, h] of hist) {
      for (const [i, b] of BUCKETS.entries()) lines.push(`http_request_duration_seconds_bucket{${k},le="${b}"} ${h.buckets[i]}`);
      lines.push(`http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`http_request_duration_seconds_sum{${k}} ${h.sum}`, `http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    lines.push('# TYPE process_uptime_seconds gauge', `process_uptime_seconds ${(Date.now() - started) / 1000}`);
    lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${process.memoryUsage().rss}`);
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
}
