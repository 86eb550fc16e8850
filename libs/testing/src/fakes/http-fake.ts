import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the fake received it. */
export type RecordedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  /** The parsed JSON body, or null when it was not JSON. */
  body: unknown;
  at: number;
  /** The status the fake answered with (null while pending or when it never answered). */
  status: number | null;
};

/**
 * A scripted answer. Steps are used once each, in order; when none are left the fake's
 * default answer is used.
 * - `{ status, body?, headers? }`: answer this;
 * - `delayMs`: wait before answering;
 * - `hang`: send the status line and headers, then never finish the body (the request was
 *   accepted but the client never sees the end: a crash window between provider and ack);
 * - `destroy`: drop the connection without answering (network failure).
 */
export type FakeStep = {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  hang?: boolean;
  destroy?: boolean;
};

export type DefaultAnswer = (req: RecordedRequest) => { status: number; body?: unknown; headers?: Record<string, string> };

export type HttpFake = {
  url: string;
  requests: RecordedRequest[];
  /** Queues steps for the next requests. */
  script(...steps: FakeStep[]): void;
  /** Queues `n` failures with the given status (and headers, e.g. retry-after). */
  failTimes(n: number, status: number, headers?: Record<string, string>, body?: unknown): void;
  /** Replaces the default answer. */
  setDefault(answer: DefaultAnswer): void;
  /**
   * Every answer without a scripted `delayMs` of its own waits this long first (0 = at once,
   * the default): a slow provider (an LLM taking a second per answer) for benchmarks.
   */
  setDelay(ms: number): void;
  /** Forgets recorded requests and pending steps. */
  reset(): void;
  close(): Promise<void>;
};

/** A local HTTP server that records what it receives and answers as scripted. */
export async function startHttpFake(
  defaultAnswer: DefaultAnswer,
  opts: { match?: (method: string, path: string) => boolean; delayMs?: number } = {},
): Promise<HttpFake> {
  const requests: RecordedRequest[] = [];
  let steps: FakeStep[] = [];
  let answer = defaultAnswer;
  let delayMs = opts.delayMs ?? 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, raw, body, at: Date.now(), status: null,
      };
      requests.push(rec);
      if (opts.match && !opts.match(rec.method, rec.path)) {
        rec.status = 404;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const step = steps.shift();
      void respond(rec, res, step);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function respond(rec: RecordedRequest, res: ServerResponse, step: FakeStep | undefined) {
    const wait = step?.delayMs ?? delayMs;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (step?.destroy) {
      res.socket?.destroy();
      return;
    }
    const fallback = step?.status === undefined ? answer(rec) : null;
    const status = step?.status ?? fallback?.status ?? 200;
    const headers = { ...(fallback?.headers ?? {}), ...(step?.headers ?? {}) };
    const body = step && 'body' in step ? step.body : fallback?.body;
    rec.status = status;
    if (step?.hang) {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': '1000', ...headers });
      res.flushHeaders();
      return;
    }
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers }).end(text);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...s) => void steps.push(...s),
    failTimes: (n, status, headers, body) => {
      for (let i = 0; i < n; i++) steps.push({ status, ...(headers ? { headers } : {}), body: body ?? { error: { message: `fake failure ${status}` } } });
    },
    setDefault: (a) => {
      answer = a;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    reset: () => {
      requests.length = 0;
      steps = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
