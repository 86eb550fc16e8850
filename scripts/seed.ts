/**
 * Seeds the demo agent, its clients, and a past (issue 10), never by writing read models:
 * - the agent and today's clients through the gateway's HTTP API (real commands → events →
 *   read models; the clients join the default plan);
 * - six weeks of history (scripts/seed/history.ts) as events on JetStream with their own
 *   past times, marked as recorded history: the projector builds the read models from them
 *   like any event, and no service acts on them (nothing is planned or sent for the past);
 * - a few follow-ups due in the next hours, through the API.
 * Idempotent: signup falls back to login; clients are only added when the agent has none
 * (and one that already exists answers 409, which is fine); the history only when its first
 * event is not on its subject yet.
 *
 *   node scripts/seed.ts [base-url]     (default: GATEWAY_URL, else http://127.0.0.1:$GATEWAY_PORT; NATS_URL for the history)
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { type Envelope, subjects } from '@realtoros/contracts';
import { createEventStore, deterministicId, streamOf } from '@realtoros/messaging';
import { DEMO_CLIENTS } from './seed/clients.ts';
import { claim, uniqueKey } from '../services/crm/src/uniqueness/unique-registry.ts';
import { type DemoPlan, demoHistory, HISTORY_DOMAIN } from './seed/history.ts';

export const DEMO_LOGIN = { email: 'demo@realtoros.dev', password: 'demo-password-2026', name: 'Dana Demo' } as const;

export type SeedResult = {
  agent: 'created' | 'existing';
  clientsCreated: number;
  clientsExisting: number;
  clientsBefore: number;
  /** Events of the past appended now (0: already there, or no NATS URL given). */
  historyEvents: number;
};

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

export async function seed(
  baseUrl: string,
  log: (msg: string) => void = () => {},
  opts: { natsUrl?: string; now?: Date } = {},
): Promise<SeedResult> {
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

  const agentId = (auth.json.agent as { id?: string } | undefined)?.id;
  if (typeof agentId !== 'string') throw new SeedError('the auth response has no agent id');
  const clients = await seedClients(baseUrl, token, log);
  const historyEvents = opts.natsUrl ? await seedHistory(baseUrl, token, agentId, opts.natsUrl, opts.now ?? new Date(), log) : 0;
  return { agent, ...clients, historyEvents };
}

async function seedClients(baseUrl: string, token: string, log: (msg: string) => void) {
  const list = await call(baseUrl, 'GET', '/api/clients?limit=1', undefined, token);
  if (list.status !== 200) throw new SeedError(`GET /api/clients failed: ${problem(list)}`);
  const before = Number(list.json.total ?? 0);
  if (before > 0) {
    log(`the demo agent already has ${before} client${before === 1 ? '' : 's'}; not adding any`);
    return { clientsCreated: 0, clientsExisting: before, clientsBefore: before };
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
  return { clientsCreated: created, clientsExisting: existing, clientsBefore: before };
}

/** The default plan, as the history's enrolments name it (the scheduler made it at sign-up). */
async function defaultPlan(baseUrl: string, token: string): Promise<DemoPlan> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const r = await call(baseUrl, 'GET', '/api/plans', undefined, token);
    const items = (r.json.items ?? []) as (DemoPlan & { is_default?: boolean })[];
    const plan = items.find((p) => p.is_default) ?? items[0];
    if (plan) return { id: plan.id, name: plan.name, version: plan.version, steps: plan.steps };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new SeedError('the demo agent has no plan yet');
}

async function seedHistory(baseUrl: string, token: string, agentId: string, natsUrl: string, now: Date, log: (msg: string) => void) {
  const nc = await connect({ servers: natsUrl, name: 'seed' });
  try {
    const store = await createEventStore(nc);
    const { events, clients } = demoHistory({ agentId, agentName: DEMO_LOGIN.name, plan: await defaultPlan(baseUrl, token), now });
    const firstClient = clients[0];
    if (firstClient && (await store.readLast('CRM', subjects.client(agentId, firstClient.id)))) {
      log('the demo past is already there');
      return 0;
    }
    // Oldest first, as the services would have appended it; each event once (its id is its
    // JetStream message id), so a seed killed half-way and run again only adds the rest.
    events.sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
    // Each past client's email is registered as crm registers a new client's (one client per
    // email per agent), so adding one of them again is a 409, as it would be for any client.
    const registry = await new Kvm(nc).create('crm_client_emails', { history: 1 });
    for (const c of clients)
      await claim(registry, uniqueKey(agentId, c.email), c.id, async () => 'holds', 'taken', '/email').catch(() => {});
    // The clients first, and projected, before what happened to them: the mailer's events
    // (a reply) then find their client's row in the read model.
    const crm = events.filter((e) => streamOf(e) === 'CRM');
    const rest = events.filter((e) => streamOf(e) !== 'CRM');
    let appended = 0;
    const append = async (list: Envelope[]) => {
      for (const event of list) {
        await store.append(event, { history: true });
        if (++appended % 100 === 0) log(`the demo past: ${appended}/${events.length} events`);
      }
    };
    await append(crm);
    for (let attempt = 0; ; attempt++) {
      const r = await call(baseUrl, 'GET', `/api/clients?q=${encodeURIComponent(HISTORY_DOMAIN)}&limit=1`, undefined, token);
      if (Number(r.json.total ?? 0) >= clients.length) break;
      if (attempt >= 300) throw new SeedError('the past clients did not reach the read model in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await append(rest);
    log(`added six weeks of history: ${clients.length} clients, ${events.length} events`);
    // Follow-ups due in the next hours: real ones, planned and sent by the live system.
    for (const [i, hours] of [1.5, 3, 5].entries()) {
      const client = clients[clients.length - 1 - i * 2];
      if (!client) continue;
      const at = new Date(now.getTime() + hours * 3_600_000).toISOString();
      const key = deterministicId('demo-followup', agentId, client.id);
      const r = await fetch(new URL('/api/tasks', baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: JSON.stringify({
          client_id: client.id,
          followup_type: 'Custom',
          scheduled_for: at,
          priority: 'high',
          notes: 'Check in about the weekend showings',
        }),
      });
      if (r.status !== 201) throw new SeedError(`POST /api/tasks (${client.name}) failed: ${r.status} ${(await r.text()).slice(0, 300)}`);
    }
    log('planned 3 follow-ups for the next hours');
    return events.length;
  } finally {
    await nc.close();
  }
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
    await seed(baseUrl, (m) => console.log(m), { natsUrl: process.env.NATS_URL });
    console.log(`demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    console.error(
      cause?.code === 'ECONNREFUSED' ? `no gateway answers at ${baseUrl}; start it (npm run up) or pass its URL` : (err as Error).message,
    );
    process.exit(1);
  }
}
