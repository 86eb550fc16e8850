import { liveSubject } from '@realtoros/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { HttpProblem } from '../errors/index.ts';
import { agentOf, requireAgent } from '../plugins/auth.ts';

const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events: the agent's events as they land in the read models (the projector
 * announces them after each commit on `live.<agent_id>`). Browsers' EventSource reconnects
 * on its own; a comment line every 15 s keeps proxies from closing an idle stream.
 */
export const eventStreamRoutes: FastifyPluginAsync = async (app) => {
  const open = new Set<() => void>();
  // On shutdown, end open streams so the server can close.
  app.addHook('onClose', async () => {
    for (const end of open) end();
  });
  app.get('/api/events/stream', { preHandler: requireAgent, schema: { tags: ['events'], security: [{ bearer: [] }] } }, (req, reply) => {
    const agentId = agentOf(req).id;
    // Subscribe before the 200 is sent: with NATS gone the answer is still a 503 problem.
    let sub: ReturnType<typeof app.deps.nc.subscribe>;
    try {
      sub = app.deps.nc.subscribe(liveSubject(agentId));
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'live events unavailable');
      reply.header('retry-after', '5');
      throw new HttpProblem(503, 'Service unavailable', 'Live updates are not available right now. Try again shortly.');
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: connected\n\n`);
    void (async () => {
      for await (const m of sub) {
        const body = m.string();
        let type = 'message';
        try {
          type = (JSON.parse(body) as { type?: string }).type ?? 'message';
        } catch {}
        res.write(`event: ${type}\ndata: ${body}\n\n`);
      }
    })();
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      sub.unsubscribe();
      open.delete(end);
    };
    const end = () => {
      close();
      res.end();
    };
    open.add(end);
    req.raw.on('close', close);
  });
};
