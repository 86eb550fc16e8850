/**
 * Email pipeline benchmark (not a test): TaskDue → ai-agent (real `openai` SDK against the
 * local fake OpenAI) → EmailGenerated → mailer (real `@sendgrid/mail` against the local fake
 * SendGrid) → EmailSent, each service a process of its own on a real nats-server and
 * Postgres (projector, scheduler, ai-agent, mailer: the whole stack an email touches).
 *
 *   npm run bench:emails                              # all scenarios, default sizes
 *   npm run bench:emails -- --n 20000 --agents 200    # a bigger burst
 *   npm run bench:emails -- --scenario slow --slow-n 640 --slow-ms 1000
 *
 * Scenarios:
 * - `pipeline`: instant fakes; N TaskDue appended at once straight onto the tasks (the
 *   scheduler left out of the firing) → emails/s, due → sent p50/p99 (from the TaskDue's
 *   append to the EmailSent reaching a watcher), generated → sent, time until all sent.
 * - `scheduler`: instant fakes; N TaskScheduled all due at the same instant, fired by the
 *   real scheduler's timers → the same figures from `scheduled_for`, plus the fire lag
 *   (scheduled_for → TaskDue.fired_at), which tells whether firing is the limit.
 * - `slow`: a fake OpenAI taking `--slow-ms` (1 s) per answer; `--slow-n` TaskDue at once
 *   with AI_CONCURRENCY 8, then again with 64 → emails/s each and the ratio.
 * Every scenario checks exactly once: each task has one EmailSent, the fake SendGrid
 * accepted exactly one request per email (by the `email_id` custom arg), none for others.
 *
 * Baselines in the same run: bare JetStream publish (bench/baselines.ts) and a bare
 * consume → publish → ack loop (one pipeline stage with nothing in it, written below).
 * Tasks are the agents' own (origin `manual`; the daily cap and plan stops don't apply),
 * spread over `--agents` agents, one client each per `--n / --agents`.
 *
 * Profiling: `BENCH_GRACEFUL_STOP=1 NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof"` —
 * the services are stopped with SIGTERM at the end, so each writes its profile.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { AckPolicy, DeliverPolicy, type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { deterministicId, type Envelope, type StreamName } from '@realtoros/contracts';
import { createEventStore, type EventStore, newEvent } from '@realtoros/messaging';
import { type FakeOpenAI, type FakeSendGrid, type Stack, startFakeOpenAI, startFakeSendGrid, startStack } from '@realtoros/testing';
import { jetstreamPublishRate } from './baselines.ts';
import { quantile } from './http-load.ts';
import { formatUsage, measureProcesses, stackPids } from './process-usage.ts';
import { recordSummary } from './summary.ts';
import { done, fmt, progress } from './progress.ts';

export type EmailBenchArgs = {
  scenario: 'all' | 'pipeline' | 'scheduler' | 'slow';
  n: number;
  agents: number;
  slowN: number;
  slowMs: number;
  /** AI_CONCURRENCY of the instant scenarios. */
  aiConcurrency: number;
  mailerConcurrency: number;
  /** Longest wait for a scenario's emails. */
  timeoutS: number;
};

export function parseArgs(argv: string[]): EmailBenchArgs {
  const a: EmailBenchArgs = {
    scenario: 'all',
    n: 5_000,
    agents: 100,
    slowN: 256,
    slowMs: 1000,
    aiConcurrency: 64,
    mailerConcurrency: 64,
    timeoutS: 150,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--scenario':
        if (!['all', 'pipeline', 'scheduler', 'slow'].includes(value)) throw new Error('--scenario all|pipeline|scheduler|slow');
        a.scenario = value as EmailBenchArgs['scenario'];
        break;
      case '--n':
        a.n = Number(value);
        break;
      case '--agents':
        a.agents = Number(value);
        break;
      case '--slow-n':
        a.slowN = Number(value);
        break;
      case '--slow-ms':
        a.slowMs = Number(value);
        break;
      case '--ai-concurrency':
        a.aiConcurrency = Number(value);
        break;
      case '--mailer-concurrency':
        a.mailerConcurrency = Number(value);
        break;
      case '--timeout':
        a.timeoutS = Number(value);
        break;
      default:
        throw new Error(`unknown flag ${flag}; see the header of bench/email-pipeline.bench.ts`);
    }
  }
  return a;
}

/** One figure of a benchmark, for a runner's summary table. */
export type BenchFigure = {
  bench: 'emails';
  what: string;
  value: number;
  unit: string;
  baseline?: { what: string; value: number; unit: string };
  ratio?: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ---------------------------------------------------------------------------------------
// Baseline: one pipeline stage with nothing in it.

/**
 * Bare consume → publish → ack: `count` messages (600 B) waiting on a stream of their own, one
 * durable pull consumer, each message published on to a second stream (awaiting its ack)
 * and then acked, `concurrency` at a time — what a stage of the pipeline would do with no
 * work of its own. → messages/s.
 */
export async function consumePublishRate(nc: NatsConnection, count = 10_000, concurrency = 64): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const tag = Date.now().toString(36);
  const [src, dst] = [`BENCH_IN_${tag}`, `BENCH_OUT_${tag}`];
  await jsm.streams.add({ name: src, subjects: [`${src.toLowerCase()}.>`] });
  await jsm.streams.add({ name: dst, subjects: [`${dst.toLowerCase()}.>`] });
  const data = new Uint8Array(600).fill(120);
  for (let i = 0; i < count; i += 256)
    await Promise.all(
      Array.from({ length: Math.min(256, count - i) }, (_, k) => js.publish(`${src.toLowerCase()}.${(i + k) % 1000}`, data)),
    );
  await jsm.consumers.add(src, { durable_name: 'stage', ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
  const consumer = await js.consumers.get(src, 'stage');
  const started = performance.now();
  const messages = await consumer.consume({ max_messages: Math.max(64, concurrency) });
  let handled = 0;
  const inFlight = new Set<Promise<void>>();
  for await (const m of messages) {
    const p = js
      .publish(`${dst.toLowerCase()}.${m.seq % 1000}`, m.data)
      .then(() => {
        m.ack();
        handled++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (handled + inFlight.size >= count) break;
  }
  await Promise.all(inFlight);
  const ms = performance.now() - started;
  await messages.close();
  await jsm.streams.delete(src);
  await jsm.streams.delete(dst);
  return count / (ms / 1000);
}

// ---------------------------------------------------------------------------------------

type World = { agents: string[]; clients: { agent: string; id: string; email: string }[] };

/** Appends `count` events with a bounded publish window. */
async function appendAll(store: EventStore, events: Envelope[], label: string, expectEmpty = true): Promise<number[]> {
  const at: number[] = new Array(events.length);
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000);
    await Promise.all(
      chunk.map((e, k) =>
        store.append(e, expectEmpty ? { expectedLastSubjectSeq: 0 } : {}).then(() => {
          at[i + k] = Date.now();
        }),
      ),
    );
    progress(`${label}: ${fmt(Math.min(events.length, i + 1000))} / ${fmt(events.length)}`);
  }
  done(`${label}: ${fmt(events.length)} appended in ${s(performance.now() - t0)}`);
  return at;
}

async function seedWorld(store: EventStore, args: EmailBenchArgs): Promise<World> {
  const agents = Array.from({ length: args.agents }, () => randomUUID());
  const perAgent = Math.ceil(args.n / args.agents);
  const clients = agents.flatMap((agent, a) =>
    Array.from({ length: perAgent }, (_, i) => ({ agent, id: randomUUID(), email: `client${a}.${i}@example.com` })),
  );
  const events: Envelope[] = [
    ...agents.map((agent, a) =>
      newEvent('AgentRegistered', {
        agentId: agent,
        aggregateId: agent,
        correlationId: 'bench',
        causationId: null,
        data: { email: `agent${a}@agency.example`, name: `Agent ${a}`, password_hash: 'x' },
      }),
    ),
    ...clients.map((c, i) =>
      newEvent('ClientCreated', {
        agentId: c.agent,
        aggregateId: c.id,
        correlationId: 'bench',
        causationId: null,
        data: {
          name: `Client ${i}`,
          email: c.email,
          phone: null,
          property_address: '12 Oak Street',
          property_type: 'residential',
          notes: 'Looking for three bedrooms near a good park.',
          custom_fields: {},
          stage: 'lead',
          plan_id: null,
        },
      }),
    ),
  ];
  await appendAll(store, events, 'seed: agents and clients (no plan)');
  return { agents, clients };
}

type Task = { agent: string; id: string; client: string };

/** One manual task per client (cycling), due at `dueAt`. */
function tasksFor(world: World, count: number, dueAt: number): { tasks: Task[]; events: Envelope[] } {
  const tasks = Array.from({ length: count }, (_, i) => {
    const c = world.clients[i % world.clients.length] as World['clients'][number];
    return { agent: c.agent, id: randomUUID(), client: c.id };
  });
  const events = tasks.map((t) =>
    newEvent('TaskScheduled', {
      agentId: t.agent,
      aggregateId: t.id,
      correlationId: 'bench',
      causationId: null,
      data: {
        client_id: t.client,
        followup_type: 'Custom',
        scheduled_for: new Date(dueAt).toISOString(),
        priority: 'medium',
        notes: null,
        version: 1,
        origin: 'manual',
      },
    }),
  );
  return { tasks, events };
}

function dueEvents(tasks: Task[], scheduledFor: number): Envelope[] {
  return tasks.map((t) =>
    newEvent('TaskDue', {
      id: deterministicId('TaskDue', t.id, '1'),
      agentId: t.agent,
      aggregateId: t.id,
      correlationId: 'bench',
      causationId: null,
      data: {
        client_id: t.client,
        followup_type: 'Custom',
        scheduled_for: new Date(scheduledFor).toISOString(),
        version: 1,
        fired_at: new Date().toISOString(),
      },
    }),
  );
}

/** Every durable consumer of the event streams has nothing pending (twice in a row). */
async function waitIdle(stack: Stack, label: string, timeoutMs = 120_000): Promise<void> {
  const nc = await connect({ servers: stack.nats.url });
  const jsm = await jetstreamManager(nc);
  const t0 = performance.now();
  let calm = 0;
  try {
    while (performance.now() - t0 < timeoutMs) {
      let left = 0;
      const busy: string[] = [];
      for (const stream of ['CRM', 'SCHEDULER', 'AI', 'MAILER'] satisfies StreamName[])
        for await (const c of jsm.consumers.list(stream)) {
          if (!c.config.durable_name) continue;
          const n = c.num_pending + c.num_ack_pending;
          left += n;
          if (n) busy.push(`${c.config.durable_name} ${fmt(n)}`);
        }
      calm = left === 0 ? calm + 1 : 0;
      if (calm >= 2) break;
      progress(`${label}: consumers catching up — ${busy.join(', ') || 'none pending'}`);
      await sleep(300);
    }
    done(`${label}: every consumer caught up after ${s(performance.now() - t0)}`);
  } finally {
    await nc.close();
  }
}

type Watch = {
  due: Map<string, number>;
  generated: Map<string, number>;
  sent: Map<string, { at: number; email: string }>;
  sentCount: Map<string, number>;
  fired: Map<string, { scheduled: number; fired: number }>;
  stop(): Promise<void>;
};

/** Watches TaskDue (SCHEDULER), EmailGenerated (AI) and EmailSent (MAILER) from now on, by task. */
async function watch(js: JetStreamClient): Promise<Watch> {
  const w: Omit<Watch, 'stop'> = { due: new Map(), generated: new Map(), sent: new Map(), sentCount: new Map(), fired: new Map() };
  const closers: (() => Promise<void>)[] = [];
  for (const [stream, type] of [
    ['SCHEDULER', 'TaskDue'],
    ['AI', 'EmailGenerated'],
    ['MAILER', 'EmailSent'],
  ] as const) {
    const c = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const messages = await c.consume({ max_messages: 5000 });
    closers.push(() => messages.close().then(() => {}));
    void (async () => {
      for await (const m of messages) {
        if (m.headers?.get('Event-Type') !== type) continue;
        const now = Date.now();
        const e = m.json<{ aggregate_id: string; data: { task_id?: string | null; scheduled_for?: string; fired_at?: string } }>();
        if (type === 'TaskDue') {
          w.due.set(e.aggregate_id, now);
          w.fired.set(e.aggregate_id, { scheduled: Date.parse(e.data.scheduled_for ?? ''), fired: Date.parse(e.data.fired_at ?? '') });
        } else if (e.data.task_id) {
          if (type === 'EmailGenerated') w.generated.set(e.data.task_id, now);
          else {
            w.sentCount.set(e.data.task_id, (w.sentCount.get(e.data.task_id) ?? 0) + 1);
            if (!w.sent.has(e.data.task_id)) w.sent.set(e.data.task_id, { at: now, email: e.aggregate_id });
          }
        }
      }
    })();
  }
  return { ...w, stop: async () => void (await Promise.all(closers.map((c) => c()))) };
}

async function waitSent(w: Watch, tasks: Task[], label: string, timeoutS: number, startedAt: number): Promise<void> {
  const deadline = performance.now() + timeoutS * 1000;
  const ids = tasks.map((t) => t.id);
  while (performance.now() < deadline) {
    const sent = ids.filter((id) => w.sent.has(id)).length;
    const gen = ids.filter((id) => w.generated.has(id)).length;
    const elapsed = (Date.now() - startedAt) / 1000;
    progress(
      `${label}: written ${fmt(gen)}, sent ${fmt(sent)} / ${fmt(ids.length)} · ${elapsed.toFixed(1)} s · ${fmt(sent / Math.max(0.001, elapsed))} emails/s`,
    );
    if (sent >= ids.length) break;
    await sleep(200);
  }
  await sleep(1000); // late duplicates, if any, would show now
}

type Figures = {
  emailsPerS: number;
  allSentS: number;
  dueSentP50: number;
  dueSentP99: number;
  genSentP50: number;
  genSentP99: number;
  missing: number;
  duplicateEvents: number;
  providerRequests: number;
  providerDuplicates: number;
  providerStrays: number;
};

/**
 * The scenario's figures and its exactly-once check: `from` (task → when it was due) →
 * EmailSent seen; the fake SendGrid's accepted requests by `email_id` custom arg.
 */
function figures(w: Watch, tasks: Task[], from: Map<string, number>, sendgrid: FakeSendGrid, acceptedBefore: number): Figures {
  const sent = tasks.flatMap((t) => (w.sent.has(t.id) ? [t] : []));
  const dueSent = sent.map((t) => (w.sent.get(t.id)?.at ?? 0) - (from.get(t.id) ?? 0));
  const genSent = sent.flatMap((t) => (w.generated.has(t.id) ? [(w.sent.get(t.id)?.at ?? 0) - (w.generated.get(t.id) ?? 0)] : []));
  const first = Math.min(...tasks.map((t) => from.get(t.id) ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...sent.map((t) => w.sent.get(t.id)?.at ?? 0));
  const emails = new Set(sent.map((t) => w.sent.get(t.id)?.email));
  const perEmail = new Map<string, number>();
  const accepted = sendgrid.accepted().slice(acceptedBefore);
  for (const r of accepted) {
    const id = sendgrid.mailOf(r).personalizations?.[0]?.custom_args?.email_id ?? sendgrid.mailOf(r).custom_args?.email_id ?? '?';
    perEmail.set(id, (perEmail.get(id) ?? 0) + 1);
  }
  return {
    emailsPerS: sent.length / Math.max(0.001, (last - first) / 1000),
    allSentS: (last - first) / 1000,
    dueSentP50: quantile(dueSent, 0.5),
    dueSentP99: quantile(dueSent, 0.99),
    genSentP50: quantile(genSent, 0.5),
    genSentP99: quantile(genSent, 0.99),
    missing: tasks.length - sent.length,
    duplicateEvents: [...tasks].filter((t) => (w.sentCount.get(t.id) ?? 0) > 1).length,
    providerRequests: accepted.length,
    providerDuplicates: [...perEmail.values()].filter((n) => n > 1).length,
    providerStrays: [...perEmail.keys()].filter((id) => !emails.has(id)).length,
  };
}

function print(label: string, f: Figures, n: number) {
  done(
    `${label}: ${fmt(f.emailsPerS)} emails/s · all ${fmt(n - f.missing)} sent ${f.allSentS.toFixed(1)} s after the first was due · due → sent p50 ${s(f.dueSentP50)}, p99 ${s(f.dueSentP99)} · generated → sent p50 ${s(f.genSentP50)}, p99 ${s(f.genSentP99)}`,
  );
  const ok = f.missing === 0 && f.duplicateEvents === 0 && f.providerDuplicates === 0 && f.providerStrays === 0 && f.providerRequests === n;
  done(
    `${label}: exactly once ${ok ? 'held' : 'BROKEN'} — ${fmt(f.missing)} tasks without EmailSent, ${f.duplicateEvents} with two, SendGrid accepted ${fmt(f.providerRequests)} requests for ${fmt(n)} tasks (${f.providerDuplicates} emails twice, ${f.providerStrays} not ours)`,
  );
}

// ---------------------------------------------------------------------------------------

export async function run(args: EmailBenchArgs = parseArgs([])): Promise<BenchFigure[]> {
  console.log(
    `email pipeline: ${args.scenario} · N ${fmt(args.n)} over ${args.agents} agents · slow ${fmt(args.slowN)} at ${args.slowMs} ms · AI_CONCURRENCY ${args.aiConcurrency}, MAILER_CONCURRENCY ${args.mailerConcurrency} · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  const [openai, sendgrid]: [FakeOpenAI, FakeSendGrid] = await Promise.all([startFakeOpenAI(), startFakeSendGrid()]);
  progress('starting nats-server, Postgres database, projector, scheduler, ai-agent, mailer…', true);
  const stack = await startStack(['projector', 'scheduler', 'ai-agent', 'mailer'], {
    LOG_LEVEL: 'error',
    HEALTH_PORT: '0',
    AI_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_MODEL: 'gpt-bench',
    EMAIL_PROVIDER: 'sendgrid',
    SENDGRID_API_KEY: 'SG.bench',
    SENDGRID_BASE_URL: sendgrid.url,
    AI_CONCURRENCY: String(args.aiConcurrency),
    MAILER_CONCURRENCY: String(args.mailerConcurrency),
  });
  // Without async traces, as the services connect (the client builds an Error per request otherwise).
  const nc = await connect({ servers: stack.nats.url, noAsyncTraces: true });
  const store = await createEventStore(nc);
  const out: BenchFigure[] = [];
  try {
    progress('baseline: bare JetStream publish…', true);
    const publish = await jetstreamPublishRate(nc);
    done(`baseline  bare JetStream publish (600 B, 256 in flight): ${fmt(publish)} msgs/s`);
    progress('baseline: bare consume → publish → ack…', true);
    const stage = await consumePublishRate(nc);
    done(`baseline  bare consume → publish → ack (one empty stage, 64 at a time): ${fmt(stage)} msgs/s`);
    out.push(
      { bench: 'emails', what: 'bare JetStream publish', value: publish, unit: 'msgs/s' },
      { bench: 'emails', what: 'bare consume → publish → ack', value: stage, unit: 'msgs/s' },
    );
    const baseline = { what: 'bare consume → publish → ack', value: stage, unit: 'msgs/s' };

    // Everything any scenario sends to, before the clock starts.
    const world = await seedWorld(store, { ...args, n: Math.max(args.scenario === 'slow' ? 0 : args.n, args.slowN * 2) });
    await waitIdle(stack, 'seed');
    const far = Date.now() + 7 * 86_400_000; // tasks fired by the bench itself: the scheduler's timers never reach them

    const instant = async (label: 'pipeline' | 'scheduler') => {
      console.log(
        `\n${label}: ${fmt(args.n)} tasks due at once, instant fakes${label === 'pipeline' ? ', TaskDue appended by the bench' : ', fired by the scheduler'}`,
      );
      const dueAt = label === 'pipeline' ? far : Date.now() + 20_000 + args.n * 1.5;
      const { tasks, events } = tasksFor(world, args.n, dueAt);
      await appendAll(store, events, `${label}: TaskScheduled`);
      await waitIdle(stack, label);
      if (label === 'scheduler' && Date.now() > dueAt)
        console.log(`  (the timers were armed ${s(Date.now() - dueAt)} late: a longer lead is needed)`);
      const w = await watch(store.js);
      const acceptedBefore = sendgrid.accepted().length;
      const cpu = measureProcesses(new Map([['driver + fakes', [process.pid]], ...(await stackPids(stack))]));
      let from: Map<string, number>;
      if (label === 'pipeline') {
        const at = await appendAll(store, dueEvents(tasks, far), `${label}: TaskDue`, false);
        from = new Map(tasks.map((t, i) => [t.id, at[i] as number]));
      } else {
        while (Date.now() < dueAt) {
          progress(`${label}: all due in ${s(dueAt - Date.now())}`);
          await sleep(Math.min(200, dueAt - Date.now()));
        }
        from = new Map(tasks.map((t) => [t.id, dueAt]));
      }
      await waitSent(w, tasks, label, args.timeoutS, Math.min(...from.values()));
      await w.stop();
      const f = figures(w, tasks, from, sendgrid, acceptedBefore);
      print(label, f, tasks.length);
      done(`${label}: CPU per email by process:\n${formatUsage(cpu.read(), Math.max(1, tasks.length - f.missing), 'email')}`);
      if (label === 'scheduler') {
        const lags = tasks.flatMap((t) => {
          const x = w.fired.get(t.id);
          return x ? [x.fired - x.scheduled] : [];
        });
        const firstDue = Math.min(...tasks.map((t) => w.due.get(t.id) ?? Number.POSITIVE_INFINITY));
        const lastDue = Math.max(...tasks.map((t) => w.due.get(t.id) ?? 0));
        done(
          `scheduler: fired ${fmt(lags.length)} / ${fmt(tasks.length)} · fire lag p50 ${s(quantile(lags, 0.5))}, p99 ${s(quantile(lags, 0.99))} · ${fmt(lags.length / Math.max(0.001, (lastDue - firstDue) / 1000))} TaskDue/s while firing (the pipeline: ${fmt(f.emailsPerS)} emails/s)`,
        );
        out.push({ bench: 'emails', what: 'scheduler fire lag p99', value: quantile(lags, 0.99), unit: 'ms' });
      }
      out.push(
        { bench: 'emails', what: `${label}: emails/s`, value: f.emailsPerS, unit: 'emails/s', baseline, ratio: f.emailsPerS / stage },
        { bench: 'emails', what: `${label}: due → sent p99`, value: f.dueSentP99, unit: 'ms' },
        { bench: 'emails', what: `${label}: all sent after`, value: f.allSentS * 1000, unit: 'ms' },
        {
          bench: 'emails',
          what: `${label}: exactly-once violations`,
          value: f.missing + f.duplicateEvents + f.providerDuplicates + f.providerStrays,
          unit: 'count',
        },
      );
      console.log(`  ratio: ${((f.emailsPerS / stage) * 100).toFixed(1)}% of the bare consume → publish stage`);
    };

    if (args.scenario === 'all' || args.scenario === 'pipeline') await instant('pipeline');
    if (args.scenario === 'all' || args.scenario === 'scheduler') await instant('scheduler');

    if (args.scenario === 'all' || args.scenario === 'slow') {
      console.log(
        `\nslow: a fake OpenAI taking ${args.slowMs} ms per answer, ${fmt(args.slowN)} tasks due at once, AI_CONCURRENCY 8 vs 64`,
      );
      openai.setDelay(args.slowMs);
      const rates: Record<number, number> = {};
      let slice = 0;
      for (const concurrency of [8, 64]) {
        // Idle first: messages a stopping process had buffered stay unacked for its ack wait (60 s).
        await waitIdle(stack, `slow ${concurrency}: before the restart`);
        await stack.stop('ai-agent');
        stack.env.AI_CONCURRENCY = String(concurrency);
        await stack.start('ai-agent');
        const { tasks, events } = tasksFor({ ...world, clients: world.clients.slice(slice, slice + args.slowN) }, args.slowN, far);
        slice += args.slowN;
        await appendAll(store, events, `slow ${concurrency}: TaskScheduled`);
        await waitIdle(stack, `slow ${concurrency}`);
        const w = await watch(store.js);
        const acceptedBefore = sendgrid.accepted().length;
        const at = await appendAll(store, dueEvents(tasks, far), `slow ${concurrency}: TaskDue`, false);
        const from = new Map(tasks.map((t, i) => [t.id, at[i] as number]));
        await waitSent(w, tasks, `slow ${concurrency}`, args.timeoutS, Math.min(...at));
        await w.stop();
        const f = figures(w, tasks, from, sendgrid, acceptedBefore);
        print(`slow, AI_CONCURRENCY ${concurrency}`, f, tasks.length);
        rates[concurrency] = f.emailsPerS;
        out.push({
          bench: 'emails',
          what: `slow OpenAI (${args.slowMs} ms), AI_CONCURRENCY ${concurrency}: emails/s`,
          value: f.emailsPerS,
          unit: 'emails/s',
        });
      }
      const ratio = (rates[64] ?? 0) / (rates[8] ?? 1);
      done(
        `slow: AI_CONCURRENCY 64 sends ${ratio.toFixed(1)}× as many emails/s as 8 (${fmt(rates[64] ?? 0)} vs ${fmt(rates[8] ?? 0)}; the ideal is 8×, ${fmt(64_000 / args.slowMs)} vs ${fmt(8000 / args.slowMs)})`,
      );
      out.push({ bench: 'emails', what: 'slow OpenAI: AI_CONCURRENCY 64 / 8', value: ratio, unit: '×' });
      openai.setDelay(0);
    }
    const rows = [];
    const get = (what: string) => out.find((f) => f.what === what)?.value;
    for (const label of ['pipeline', 'scheduler'] as const) {
      const rate = get(`${label}: emails/s`);
      if (rate === undefined) continue;
      rows.push({
        what: `${fmt(args.n)} emails due at once, instant fakes (${label === 'pipeline' ? 'TaskDue appended' : 'fired by the scheduler'})`,
        figure: `${fmt(rate)} emails/s · due → sent p99 ${s(get(`${label}: due → sent p99`) ?? 0)} · all sent in ${s(get(`${label}: all sent after`) ?? 0)} · exactly-once violations ${get(`${label}: exactly-once violations`)}`,
        baseline: `consume → publish ${fmt(stage)} msgs/s`,
        ratio: (rate / stage) * 100,
        goal: '≥ 500 emails/s · 10,000 all sent < 30 s',
      });
    }
    const slowRatio = get('slow OpenAI: AI_CONCURRENCY 64 / 8');
    if (slowRatio !== undefined)
      rows.push({
        what: `slow OpenAI (${args.slowMs} ms per answer), AI_CONCURRENCY 64 vs 8`,
        figure: `${slowRatio.toFixed(1)}× (${fmt(get(`slow OpenAI (${args.slowMs} ms), AI_CONCURRENCY 64: emails/s`) ?? 0)} vs ${fmt(get(`slow OpenAI (${args.slowMs} ms), AI_CONCURRENCY 8: emails/s`) ?? 0)} emails/s)`,
        baseline: '—',
        ratio: null,
        goal: 'grows with AI_CONCURRENCY',
      });
    recordSummary('emails', rows);
    return out;
  } finally {
    await nc.close();
    // With NODE_OPTIONS=--cpu-prof, each service writes its profile on a graceful exit.
    if (process.env.BENCH_GRACEFUL_STOP) for (const name of [...stack.services.keys()]) await stack.stop(name);
    await stack.dispose();
    await Promise.all([openai.close(), sendgrid.close()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run(parseArgs(process.argv.slice(2)));
  process.exit(0);
}
