/**
 * Replay benchmark (not a test): `ops replay` — every read model rebuilt from the streams into
 * a scratch schema and swapped in — against a bare consume → Postgres upsert + checkpoint of
 * the same number of messages, in the same run.
 *
 *   npm run bench:replay                      # 120,000 events (~5,500 clients of 50 agents)
 *   npm run bench:replay -- --events 1000000  # the issue's million
 *   npm run bench:replay -- --agents 200 --batch 2000
 *
 * A fresh nats-server (temp store) and a fresh migrated database. The streams are filled with
 * a brokerage's history (services/projector/src/ops/history.fixture.ts: clients created and
 * edited, enrolled, five follow-ups each scheduled / due / completed, emails reviewed,
 * generated, sent, delivered, opened, clicked, bounced, replies, activities, pauses), appended
 * straight to JetStream with the event store (this measures replay, not the write path). Then
 * the real replay (`replay()` of ops/replay.ts, what `npm run ops -- replay` runs) with its
 * progress bar. Prints events/s, seconds, the baseline's events/s and the ratio.
 */
import { cpus, totalmem } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { EVENTS } from '@realtoros/contracts';
import { createEventStore, ensureEventStreams } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { createTestDatabase, startNats } from '@realtoros/testing';
import { brokerageHistory, EVENTS_PER_CLIENT } from '../services/projector/src/ops/history.fixture.ts';
import { replay } from '../services/projector/src/ops/replay.ts';
import { PROJECTED_STREAMS } from '../services/projector/src/projection.ts';
import { PROJECTIONS } from '../services/projector/src/read-models/index.ts';
import { consumeToPostgresRate } from './baselines.ts';
import { done, fmt, progress } from './progress.ts';
import { recordSummary } from './summary.ts';

export type BenchFigure = { name: string; value: number; unit: string; baseline?: number; ratio?: number; detail?: string };

export function parseArgs(argv: string[]) {
  const a = { events: 120_000, agents: 50, batch: 0, baseline: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    if (flag === '--no-baseline') {
      a.baseline = false;
      continue;
    }
    const value = Number(inline ?? argv[++i]);
    if (flag === '--events') a.events = value;
    else if (flag === '--agents') a.agents = value;
    else if (flag === '--batch') a.batch = value;
    else throw new Error(`unknown flag ${flag}; see the header of bench/replay.bench.ts`);
  }
  return a;
}

const bar = (frac: number, width = 30) => '#'.repeat(Math.round(frac * width)).padEnd(width, '.');

export async function run(args = parseArgs(process.argv.slice(2))): Promise<BenchFigure[]> {
  const clientsPerAgent = Math.max(1, Math.round(args.events / EVENTS_PER_CLIENT / args.agents));
  console.log(
    `replay: ~${fmt(args.events)} events (${args.agents} agents × ${fmt(clientsPerAgent)} clients) · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  progress('starting nats-server and a fresh database…', true);
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const t = await createTestDatabase();
  const log = createLogger('bench', 'warn');
  try {
    const store = await createEventStore(nc);
    await ensureEventStreams(store.jsm, PROJECTED_STREAMS);

    // Fill: appended in order (one connection keeps a subject's order), 2,000 in flight.
    const perStream: Record<string, number> = {};
    let appended = 0;
    const t0 = performance.now();
    let window: Promise<unknown>[] = [];
    for (const e of brokerageHistory({ agents: args.agents, clientsPerAgent, seed: `bench-${Date.now().toString(36)}` })) {
      window.push(store.append(e));
      appended++;
      perStream[EVENTS[e.type].stream] = (perStream[EVENTS[e.type].stream] ?? 0) + 1;
      if (window.length >= 2000) {
        await Promise.all(window);
        window = [];
        progress(`appending the history: ${fmt(appended)} events (${fmt(appended / ((performance.now() - t0) / 1000))}/s)`);
      }
    }
    await Promise.all(window);
    done(
      `appended ${fmt(appended)} events in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(perStream)
        .map(([s, n]) => `${s} ${fmt(n)}`)
        .join(', ')}`,
    );

    let baseline = Number.NaN;
    if (args.baseline) {
      progress('baseline: publishing its messages…', true);
      baseline = await consumeToPostgresRate(nc, t.url, {
        count: appended,
        onProgress: (n, total) => progress(`baseline: consume → Postgres [${bar(n / total)}] ${fmt(n)}/${fmt(total)}`),
      });
      done(`baseline  consume → Postgres upsert + checkpoint (${fmt(appended)} × 600 B, batches of 1,000): ${fmt(baseline)} events/s`);
    }

    const r = await replay({
      db: t.db,
      js: store.js,
      jsm: store.jsm,
      projections: PROJECTIONS,
      log,
      ...(args.batch ? { batchSize: args.batch } : {}),
      onProgress: (p) =>
        progress(
          `replay [${bar(p.total ? Math.min(1, p.done / p.total) : 1)}] ${((p.done / Math.max(p.total, 1)) * 100).toFixed(0).padStart(3)}% ${fmt(p.done)}/${fmt(p.total)} events · ${fmt(p.done / Math.max(p.elapsedMs / 1000, 0.001))} events/s (${p.stream})`,
        ),
    });
    const ratio = r.eventsPerSecond / baseline;
    done(
      `replay    ${fmt(r.events)} events in ${r.seconds.toFixed(1)} s: ${fmt(r.eventsPerSecond)} events/s${Number.isFinite(ratio) ? ` · ${(ratio * 100).toFixed(0)}% of the baseline` : ''}`,
    );
    if (r.events !== appended) throw new Error(`replay applied ${r.events} events of ${appended}`);
    return [
      {
        name: `ops replay, ${fmt(r.events)} events`,
        value: r.eventsPerSecond,
        unit: 'events/s',
        baseline,
        ratio,
        detail: `${r.seconds.toFixed(1)} s`,
      },
    ];
  } finally {
    await nc.close();
    await t.dispose();
    await nats.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [r] = await run();
  if (r)
    recordSummary('replay', [
      {
        what: `npm run ops -- replay, ${r.name.replace('ops replay, ', '')}`,
        figure: `${fmt(r.value)} events/s · ${r.detail}`,
        baseline: `consume → Postgres upsert + checkpoint ${fmt(r.baseline ?? 0)} events/s`,
        ratio: (r.ratio ?? 0) * 100,
        goal: '≥ 50% · 1M events < 2 min',
      },
    ]);
}
