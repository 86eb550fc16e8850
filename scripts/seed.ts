/**
 * Seeds the demo agent and its clients through the gateway's HTTP API only (no database
 * writes), so everything it creates is a real command → event → read model.
 * Idempotent: signup falls back to login; clients are only added when the agent has none
 * (and one that already exists answers 409, which is fine).
 *
 *   node scripts/seed.ts [base-url]     (default: GATEWAY_URL, else http://127.0.0.1:$GATEWAY_PORT)
 */
import { DEMO_CLIENTS } from './seed/clients.ts';

export const DEMO_LOGIN = { email: 'demo@realtoros.dev', password: 'demo-password-2026', name: 'Dana Demo' } as const;

export type SeedResult = { agent: 'created' | 'existing'; clientsCreated: number; clientsExisting: number; clientsBefore: number };

export class SeedError extends Error {
  override name = 'SeedError';
}

type Json = Record<string, unknown>;

async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    json = { detail: text.slice(0, 300) };
  }
  return { status: res.status, json };
}

const problem = (r: { status: number; json: Json }) =>
  `${r.status} ${[r.json.title, r.json.detail].filter(Boolean).join(': ') || JSON.stringify(r.json).slice(0, 300)}`;

export async function seed(baseUrl: string, log: (msg: string) => void = () => {}): Promise<SeedResult> {
  let agent: SeedResult['agent'] = 'created';
  let auth = await call(baseUrl, 'POST', '/api/auth/signup', DEMO_LOGIN);
  if (auth.status === 409) {
    agent = 'existing';
    auth = await call(baseUrl, 'POST', '/api/auth/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password });
  }
  if (auth.status !== 200 && auth.status !== 201)
    throw new SeedError(`demo agent ${agent === 'existing' ? 'login' : 'signup'} failed: ${problem(auth)}`);
  const token = auth.json.token;
  if (typeof token !== 'string') throw new SeedError('the auth response has no token');
  log(agent === 'created' ? `signed up the demo agent ${DEMO_LOGIN.email}` : `the demo agent ${DEMO_LOGIN.email} exists; logged in`);

  const list = await call(baseUrl, 'GET', '/api/clients?limit=1', undefined, token);
  if (list.status !== 200) throw new SeedError(`GET /api/clients failed: ${problem(list)}`);
  const before = Number(list.json.total ?? 0);
  if (before > 0) {
    log(`the demo agent already has ${before} client${before === 1 ? '' : 's'}; not adding any`);
    return { agent, clientsCreated: 0, clientsExisting: before, clientsBefore: before };
  }

  let created = 0;
  let existing = 0;
  for (const client of DEMO_CLIENTS) {
    const r = await call(baseUrl, 'POST', '/api/clients', client, token);
    if (r.status === 201) created++;
    else if (r.status === 409) existing++;
    else throw new SeedError(`POST /api/clients (${client.email}) failed: ${problem(r)}`);
  }
  log(`added ${created} demo clients${existing ? ` (${existing} were already there)` : ''}`);
  return { agent, clientsCreated: created, clientsExisting: existing, clientsBefore: before };
}

export function defaultBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.GATEWAY_URL || `http://127.0.0.1:${env.GATEWAY_PORT || 8000}`;
}

if (import.meta.main) {
  if (process.argv[2] === '--help' || process.argv[2] === '-h') {
    console.log('usage: node scripts/seed.ts [gateway-base-url]');
    process.exit(0);
  }
  const { existsSync } = await import('node:fs');
  if (existsSync('.env')) process.loadEnvFile('.env');
  const baseUrl = process.argv[2] ?? defaultBaseUrl();
  try {
    await seed(baseUrl, (m) => console.log(m));
    console.log(`demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    console.error(
      cause?.code === 'ECONNREFUSED' ? `no gateway answers at ${baseUrl}; start it (npm run up) or pass its URL` : (err as Error).message,
    );
    process.exit(1);
  }
}
