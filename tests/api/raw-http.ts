import { request } from 'node:http';

// biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON came back, as tests/api/http.ts does
export type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any };

/**
 * One HTTP request exactly as given: the path is not normalised or re-encoded (`%`, `%00`,
 * 3,000-character ids reach the server as written) and headers may be odd or huge. For
 * hostile-input tests; `fetch` would fix or refuse some of these before sending.
 */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        // Let the server, not this client, decide what is too large.
        maxHeaderSize: 1024 * 1024,
        insecureHTTPParser: true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`${method} ${path.slice(0, 100)}: no answer in time`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** An RFC 9457 problem document: the content type and the members every error must carry. */
export function isProblem(r: RawResponse): boolean {
  const type = String(r.headers['content-type'] ?? '');
  const b = r.body as { type?: unknown; title?: unknown; status?: unknown } | null;
  return /^application\/problem\+json/.test(type) && typeof b?.type === 'string' && typeof b.title === 'string' && b.status === r.status;
}
