/**
 * Webhook batch benchmark (not a test): how fast a large SendGrid event webhook batch
 * becomes read-model rows, end to end on the real system.
 *
 *   npm run bench:webhooks                          # 10,000 events over 300 emails
 *   npm run bench:webhooks -- --events 20000 --emails 500
 *
 * Starts its own nats-server, database and every service as a process (gateway, crm,
 * scheduler, ai-agent, mailer, projector; SendGrid is a local fake driven through the real
 * SDK). Sends `--emails` emails (a few agents, one client each), then posts ONE signed
 * webhook batch of `--events` events (a delivered report per email, then opens and clicks)
 * to the gateway: gateway → mailer → MAILER stream → projector → `email_events`. Prints:
 * the 200's latency, the time until every event is a row, events/s, then the projector alone
 * (stopped while a second batch is recorded, then timed on that backlog), the size of one
 * email in a list response (and on its own page), and the ratio to a same-run baseline: inserting
 * the same number of rows into Postgres in batches of 500, one statement each.
 * The issue's bar: the batch fully projected within 10 s.
 */
import { sql } from '@realtoros/db';
import { createWebhookSigner, sendGridEvent, startFakeSendGrid, startStack, waitFor } from '@realtoros/testing';
import { signUp } from '../tests/api/http.ts';

type Args = { events: number; emails: number; agents: number };

function parseArgs(argv: string[]): Args {
  const a: Args = { events: 10_000, emails: 300, agents: 3 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = Number(inline ?? argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
    if (flag === '--events') a.events = value;
    else if (flag === '--emails') a.emails = value;
    else if (flag === '--agents') a.agents = value;
    else throw new Error(`unknown flag ${flag} (--events, --emails, --agents)`);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const step = (what: string) => process.stderr.write(`· ${what}\n`);

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const sendgrid = await startFakeSendGrid();
const signer = createWebhookSigner();
step('starting nats-server, Postgres database and six services');
const stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
  AI_PROVIDER: 'template',
  SENDGRID_API_KEY: 'SG.bench',
  SENDGRID_BASE_URL: sendgrid.url,
  SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKey,
  LOG_LEVEL: 'error',
});

try {
  const db = stack.database.db;

  step(`sending ${args.emails} emails (${args.agents} agents)`);
  const agents = await Promise.all(Array.from({ length: args.agents }, (_, i) => signUp(stack.api, `Bench Agent ${i + 1}`)));
  const jobs = Array.from({ length: args.emails }, (_, i) => ({ i, agent: agents[i % agents.length]! }));
  await inParallel(jobs, 8, async ({ i, agent }) => {
    const c = await agent.api.post('/api/clients', {
      name: `Client ${i}`,
      email: `client${i}.${Date.now().toString(36)}@example.com`,
      stage: 'lead',
    });
    if (c.status !== 201) throw new Error(`create client: ${c.status} ${JSON.stringify(c.body)}`);
    const s = await agent.api.post('/api/emails/send', {
      client_id: c.body.id,
      subject: `Hello ${i}`,
      body: 'Checking in about the house.',
    });
    if (s.status !== 202) throw new Error(`send: ${s.status} ${JSON.stringify(s.body)}`);
  });
  const sent = await waitFor(
    async () => {
      const rows = await db.selectFrom('email_logs').select(['id', 'agent_id']).where('status', '=', 'sent').execute();
      return rows.length >= args.emails ? rows : null;
    },
    { timeoutMs: 300_000, intervalMs: 250, what: 'every email sent' },
  );

  // One signed batch: per email a `delivered`, then opens and clicks, round-robin over the emails.
  const now = Math.floor(Date.now() / 1000);
  const events = Array.from({ length: args.events }, (_, k) => {
    const e = sent[k % sent.length]!;
    const round = Math.floor(k / sent.length);
    const kind = round === 0 ? 'delivered' : round % 4 === 0 ? 'click' : 'open';
    return sendGridEvent({
      event: kind,
      email_id: e.id,
      agent_id: e.agent_id,
      timestamp: now - 300 + Math.min(round, 299),
      ...(kind === 'click' ? { url: 'https://example.com/listing/42' } : {}),
    });
  });
  const payload = JSON.stringify(events);
  const eventRows = async () =>
    Number(
      (
        await db
          .selectFrom('email_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const before = await eventRows();

  step(`posting one signed webhook batch: ${args.events.toLocaleString('en-US')} events, ${kb(payload.length)}`);
  const t0 = performance.now();
  const res = await fetch(`${stack.api}/webhook/sendgrid`, { method: 'POST', headers: signer.sign(payload).headers, body: payload });
  const answer = await res.json();
  const tAnswer = performance.now() - t0;
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(answer)}`);
  await waitFor(async () => (await eventRows()) - before >= args.events, {
    timeoutMs: 300_000,
    intervalMs: 20,
    what: 'every event projected',
  });
  const tProjected = performance.now() - t0;

  // The projector alone: stopped while a second batch (new reports) is recorded, then started
  // on the backlog; timed from its start (process boot included) to the last row.
  step('projector alone: a second batch recorded while it is stopped, then the backlog');
  await stack.stop('projector');
  const second = events.map((e) => ({ ...e, sg_event_id: `${e.sg_event_id}-2` }));
  const payload2 = JSON.stringify(second);
  const res2 = await fetch(`${stack.api}/webhook/sendgrid`, { method: 'POST', headers: signer.sign(payload2).headers, body: payload2 });
  if (res2.status !== 200) throw new Error(`second webhook answered ${res2.status}`);
  const tp = performance.now();
  await stack.start('projector');
  await waitFor(async () => (await eventRows()) - before >= 2 * args.events, {
    timeoutMs: 300_000,
    intervalMs: 20,
    what: 'the backlog projected',
  });
  const tBacklog = performance.now() - tp;

  // How big one email is in a list (at most 5 reports and counters) and on its own page (all of them).
  const agent = agents[0]!;
  const list = await agent.api.get('/api/emails?limit=100');
  const listSizes = (list.body.items as unknown[]).map((i) => JSON.stringify(i).length);
  const one = (list.body.items as { id: string }[])[0]!;
  const page = await agent.api.get(`/api/emails/${one.id}`);

  // Baseline on the same machine and database: the same number of rows, 500 per INSERT.
  await sql`CREATE TABLE bench_baseline (email_id uuid, agent_id uuid, sg_event_id text, event text, occurred_at timestamptz, url text, reason text, PRIMARY KEY (email_id, sg_event_id))`.execute(
    db,
  );
  const tb = performance.now();
  for (let from = 0; from < events.length; from += 500) {
    const chunk = events.slice(from, from + 500).map((e) => ({
      email_id: e.email_id!,
      agent_id: e.agent_id!,
      sg_event_id: e.sg_event_id,
      event: e.event,
      occurred_at: new Date(e.timestamp * 1000),
      url: e.url ?? null,
      reason: null,
    }));
    await db.withTables<{ bench_baseline: (typeof chunk)[number] }>().insertInto('bench_baseline').values(chunk).execute();
  }
  const tBaseline = performance.now() - tb;

  const within = tProjected <= 10_000;
  console.log(`
webhook batch benchmark — ${args.events.toLocaleString('en-US')} events over ${sent.length} emails (${args.agents} agents)
  webhook answered (200)       ${ms(tAnswer)}  ${JSON.stringify(answer)}
  fully projected (all rows)   ${ms(tProjected)}  ${within ? '✓ within 10 s' : '✗ over the 10 s bar'}
  throughput                   ${Math.round(args.events / (tProjected / 1000)).toLocaleString('en-US')} events/s end to end
  projected after the answer   ${ms(tProjected - tAnswer)}
  one email in a list          ${kb(Math.max(...listSizes))} (largest of ${listSizes.length}; ${(list.body.items as { webhook_events: unknown[] }[])[0]?.webhook_events.length} reports + webhook_event_count=${(list.body.items as { webhook_event_count: number }[])[0]?.webhook_event_count})
  the same email on its page   ${kb(JSON.stringify(page.body).length)} (${page.body.webhook_events.length} reports, after both batches)
  projector alone (backlog)    ${ms(tBacklog)} for ${args.events.toLocaleString('en-US')} events, process start included → ${Math.round(args.events / (tBacklog / 1000)).toLocaleString('en-US')} events/s
  baseline (INSERT 500/stmt)   ${ms(tBaseline)} for ${args.events.toLocaleString('en-US')} rows → end to end is ${(tProjected / tBaseline).toFixed(1)}×, the projector alone ${(tBacklog / tBaseline).toFixed(1)}× the bare inserts
`);
  if (!within) process.exitCode = 1;
} finally {
  await stack.dispose();
  await sendgrid.close();
}
