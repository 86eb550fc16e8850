/**
 * Plans benchmark (not a test): how fast enrolments are planned and plan edits recomputed.
 *
 *   npm run bench:plans                              # all three, full size
 *   npm run bench:plans -- --scenario plan --n 5000  # one scenario, smaller
 *   npm run bench:plans -- --scenario recompute --recompute-n 100000
 *
 * plan:      N enrolments (default 20,000) of a five-step plan, each placed with the sending
 *            window (placeSteps: the client's zone, business days, holidays, spread) and
 *            written as five ScheduleTask through the real task store (load → decide →
 *            append expecting the loaded sequence, the enrolment workflow's path) on a real
 *            nats-server — against a same-run baseline of bare JetStream publishes of the same
 *            number of TaskScheduled events (no read, no decision, no placement).
 * recompute: a plan edit (a step moved with a time of day, one removed, one added, new
 *            instructions on another) recomputed for 100,000 enrolments × 5 steps with
 *            planChangeEffects, pure, plus the preview's summary — must take under 60 s.
 * apply:     the edit applied end to end over NATS for M enrolments (default 2,000): each
 *            enrolment's tasks loaded from their subjects, planChangeEffects, and the resulting
 *            RescheduleTask {by: plan_change} / ScheduleTask / CancelTask {step_removed} through
 *            the task store — what the enrolment workflow does per EnrollmentMigrated.
 *
 * The driver, the task store and nats-server share the machine (and, here, two cores with
 * other work), so the figures are a floor.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { type AgentSettings, DEFAULT_AGENT_SETTINGS, deterministicId } from '@realtoros/contracts';
import { createEventStore, ensureEventStreams, newEvent } from '@realtoros/messaging';
import {
  followupTypeFor,
  type PlanEffect,
  type PlanStep,
  type PlanTaskSnapshot,
  type PlanVersion,
  placeSteps,
  planChangeEffects,
  planTaskId,
  summarizePreview,
  taskPlanRef,
} from '@realtoros/planning';
import { startNats } from '@realtoros/testing';
import type { TaskCommand } from '../services/scheduler/src/task/decide.ts';
import { createTaskStore, type TaskStore } from '../services/scheduler/src/task/task-store.ts';
import { done, fmt, progress } from './progress.ts';

type Args = { scenario: 'plan' | 'recompute' | 'apply' | 'all'; n: number; recomputeN: number; applyN: number; concurrency: number };

function parseArgs(argv: string[]): Args {
  const a: Args = { scenario: 'all', n: 20_000, recomputeN: 100_000, applyN: 2_000, concurrency: 256 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=');
    const value = inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--scenario':
        if (!['plan', 'recompute', 'apply', 'all'].includes(value)) throw new Error('--scenario plan|recompute|apply|all');
        a.scenario = value as Args['scenario'];
        break;
      case '--n':
        a.n = Number(value);
        break;
      case '--recompute-n':
        a.recomputeN = Number(value);
        break;
      case '--apply-n':
        a.applyN = Number(value);
        break;
      case '--concurrency':
        a.concurrency = Number(value);
        break;
      default:
        throw new Error(`unknown flag ${flag}; see the header of bench/plans.bench.ts`);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const rate = (count: number, ms: number) => fmt(count / (ms / 1000));

/** Runs `count` jobs with at most `limit` in flight, reporting progress. */
async function pool(count: number, limit: number, job: (i: number) => Promise<void>, label: (doneCount: number) => string) {
  let next = 0;
  let finished = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await job(i);
      finished++;
      if (finished % 500 === 0) progress(label(finished));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

// ---------------------------------------------------------------------------------------
// The plan, its edit, the agent and the clients

const ZONES = ['America/Chicago', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Australia/Sydney'] as const;
const SETTINGS: AgentSettings = {
  ...DEFAULT_AGENT_SETTINGS,
  time_zone: 'America/Chicago',
  holidays: ['2026-11-26', '2026-12-25', '2027-01-01'],
};
const step = (id: string, label: string, offset_days: number, over: Partial<PlanStep> = {}): PlanStep => ({
  id,
  label,
  offset_days,
  time_of_day: null,
  priority: 'medium',
  action: 'email',
  instructions: null,
  template_id: null,
  ...over,
});
const PLAN_ID = '0190a000-0000-7000-8000-00000000b1a0';
const V1: PlanVersion = {
  plan_id: PLAN_ID,
  name: 'New lead',
  version: 1,
  steps: [
    step('day-1', 'Day 1', 1, { priority: 'high' }),
    step('day-3', 'Day 3', 3),
    step('week-1', 'Week 1', 7),
    step('week-2', 'Week 2', 14, { priority: 'low' }),
    step('month-1', 'Month 1', 30, { priority: 'low' }),
  ],
};
/** The edit: Day 3 → Day 4 at 10:30, Week 2 removed, a new Day 10 call reminder, Month 1's instructions. */
const V2: PlanVersion = {
  ...V1,
  version: 2,
  steps: [
    step('day-1', 'Day 1', 1, { priority: 'high' }),
    step('day-3', 'Day 4', 4, { time_of_day: '10:30' }),
    step('week-1', 'Week 1', 7),
    step('s-day10', 'Day 10', 10, { action: 'task', instructions: 'Call to check on financing' }),
    step('month-1', 'Month 1', 30, { priority: 'low', instructions: 'Share the monthly market report' }),
  ],
};

type Enrolment = { clientId: string; enrollmentId: string; zone: string; enrolledAt: string };
function enrolments(count: number, nowMs: number, spreadDays: number): Enrolment[] {
  return Array.from({ length: count }, (_, i) => ({
    clientId: deterministicId('bench-client', String(i)),
    enrollmentId: deterministicId('bench-enrollment', String(i)),
    zone: ZONES[i % ZONES.length] as string,
    // Spread over the past `spreadDays` (some steps already past) at every minute of the day.
    enrolledAt: new Date(nowMs - Math.floor(((i * 7919) % (spreadDays * 1440)) * 60_000)).toISOString(),
  }));
}

function scheduleCommand(
  plan: PlanVersion,
  e: Enrolment,
  index: number,
  placed: ReturnType<typeof placeSteps>[number],
  now: string,
): TaskCommand {
  const s = placed.step;
  return {
    type: 'ScheduleTask',
    data: {
      client_id: e.clientId,
      followup_type: followupTypeFor(s.label),
      scheduled_for: placed.scheduled_for,
      priority: s.priority,
      notes: null,
      origin: 'plan',
      plan: taskPlanRef(plan, index, e.enrollmentId),
      timing: placed.timing,
    },
    now,
  };
}

const opts = (taskId: string, cause: string, type?: 'TaskScheduled') => ({
  correlationId: cause,
  causationId: cause,
  ...(type ? { eventId: () => deterministicId('TaskScheduled', taskId) } : {}),
});

async function natsStore() {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1 });
  const store = await createEventStore(nc);
  await ensureEventStreams(store.jsm, ['SCHEDULER', 'CRM']);
  return {
    store,
    async close() {
      await nc.close();
      await nats.dispose();
    },
  };
}

/** Plans every enrolment of `list` on `plan`: placeSteps + one ScheduleTask per step through the task store. */
async function planAll(
  tasks: TaskStore,
  agent: string,
  plan: PlanVersion,
  list: Enrolment[],
  concurrency: number,
  label: string,
): Promise<number> {
  const now = new Date().toISOString();
  let appended = 0;
  await pool(
    list.length,
    Math.max(1, Math.floor(concurrency / plan.steps.length)),
    async (i) => {
      const e = list[i] as Enrolment;
      const placed = placeSteps(plan, { enrolledAt: e.enrolledAt, settings: SETTINGS, clientZone: e.zone, clientId: e.clientId });
      await Promise.all(
        placed.map((p, index) => {
          const taskId = planTaskId(e.enrollmentId, p.step.id);
          return tasks
            .handle(
              { agentId: agent, aggregateId: taskId },
              scheduleCommand(plan, e, index, p, now),
              opts(taskId, e.enrollmentId, 'TaskScheduled'),
            )
            .then((r) => {
              appended += r.events.length;
            });
        }),
      );
    },
    (n) => `${label}: ${fmt(n)} / ${fmt(list.length)} enrolments`,
  );
  return appended;
}

// ---------------------------------------------------------------------------------------

async function planScenario(args: Args) {
  const steps = V1.steps.length;
  console.log(`\nplan: ${fmt(args.n)} enrolments × ${steps} steps with the sending window → ScheduleTask through the task store`);
  const env = await natsStore();
  try {
    const list = enrolments(args.n, Date.now(), 2);

    // Placement alone (pure): what the window computation costs.
    const tp = performance.now();
    let placedCount = 0;
    for (const e of list)
      placedCount += placeSteps(V1, { enrolledAt: e.enrolledAt, settings: SETTINGS, clientZone: e.zone, clientId: e.clientId }).length;
    const placeMs = performance.now() - tp;
    done(
      `placement only (pure, ${ZONES.length} zones, holidays): ${fmt(placedCount)} steps in ${secs(placeMs)} = ${rate(placedCount, placeMs)} steps/s`,
    );

    // Baseline: bare JetStream publishes of as many TaskScheduled events, same in-flight window.
    const baseAgent = randomUUID();
    const total = args.n * steps;
    const tb = performance.now();
    const at = new Date(Date.now() + 86_400_000).toISOString();
    await pool(
      total,
      args.concurrency,
      async (i) => {
        const event = newEvent('TaskScheduled', {
          agentId: baseAgent,
          aggregateId: deterministicId('bench-baseline', String(i)),
          correlationId: 'bench',
          causationId: null,
          data: {
            client_id: randomUUID(),
            followup_type: 'Day 1',
            scheduled_for: at,
            priority: 'medium',
            notes: null,
            version: 1,
            origin: 'plan',
          },
        });
        await env.store.js.publish(`sched.${baseAgent}.task.${event.aggregate_id}`, JSON.stringify(event), { msgID: event.id });
      },
      (n) => `baseline: ${fmt(n)} / ${fmt(total)} bare publishes`,
    );
    const baseMs = performance.now() - tb;
    done(
      `baseline (bare JetStream publishes, ${args.concurrency} in flight): ${fmt(total)} events in ${secs(baseMs)} = ${rate(total, baseMs)} events/s`,
    );

    // Planning through the task store.
    const agent = randomUUID();
    const tasks = createTaskStore(env.store);
    const t0 = performance.now();
    const written = await planAll(tasks, agent, V1, list, args.concurrency, 'planning');
    const planMs = performance.now() - t0;
    done(
      `planned (placeSteps + ScheduleTask via the task store): ${fmt(args.n)} enrolments in ${secs(planMs)} = ${rate(args.n, planMs)} enrolments/s, ${rate(total, planMs)} tasks/s`,
    );
    console.log(`    TaskScheduled appended: ${fmt(written)} / ${fmt(total)}`);
    console.log(
      `    ratio: planning takes ${(planMs / baseMs).toFixed(2)}× the bare publishes of the same events (placement alone is ${((placeMs / planMs) * 100).toFixed(0)}% of it)`,
    );

    // A replay plans nothing more (expected sequence 0 per subject + derived ids).
    const tr = performance.now();
    const again = await planAll(tasks, agent, V1, list.slice(0, Math.min(2000, list.length)), args.concurrency, 'replay');
    const replayMs = performance.now() - tr;
    done(
      `replay of ${fmt(Math.min(2000, list.length))} enrolments (a redelivered ClientEnrolled): ${secs(replayMs)}, ${fmt(again)} events appended (nothing twice)`,
    );
    return { placeMs, baseMs, planMs };
  } finally {
    await env.close();
  }
}

function snapshotsFor(e: Enrolment, nowMs: number): Map<string, PlanTaskSnapshot> {
  const placed = placeSteps(V1, { enrolledAt: e.enrolledAt, settings: SETTINGS, clientZone: e.zone, clientId: e.clientId });
  return new Map(
    placed.map((p) => [
      p.step.id,
      {
        task_id: planTaskId(e.enrollmentId, p.step.id),
        status: Date.parse(p.scheduled_for) < nowMs ? 'completed' : 'pending',
        scheduled_for: p.scheduled_for,
        pinned: false,
        held_reason: null,
      },
    ]),
  );
}

async function recomputeScenario(args: Args) {
  const n = args.recomputeN;
  console.log(`\nrecompute: a plan edit over ${fmt(n)} enrolments × ${V1.steps.length} steps (planChangeEffects, pure)`);
  const nowMs = Date.parse('2026-11-20T16:00:00.000Z');
  const now = new Date(nowMs).toISOString();
  const list = enrolments(n, nowMs, 20);
  const ts = performance.now();
  const tasks = list.map((e) => snapshotsFor(e, nowMs));
  done(`setup: the tasks of ${fmt(n)} enrolments (their v1 placements) in ${secs(performance.now() - ts)}`);

  const t0 = performance.now();
  const all: PlanEffect[][] = [];
  for (let i = 0; i < n; i++) {
    const e = list[i] as Enrolment;
    all.push(
      planChangeEffects({
        from: V1,
        to: V2,
        tasks: tasks[i] as Map<string, PlanTaskSnapshot>,
        anchor: e.enrolledAt,
        settings: SETTINGS,
        clientZone: e.zone,
        clientId: e.clientId,
        enrollmentId: e.enrollmentId,
        now,
      }),
    );
    if ((i + 1) % 10_000 === 0) progress(`recompute: ${fmt(i + 1)} / ${fmt(n)} enrolments (${secs(performance.now() - t0)})`);
  }
  const preview = summarizePreview(all, n);
  const ms = performance.now() - t0;
  const kinds = { move: 0, update: 0, add: 0, remove: 0, past: 0 };
  for (const list of all) for (const e of list) kinds[e.kind]++;
  done(
    `recomputed ${fmt(n)} enrolments (${fmt(n * V1.steps.length)} steps) in ${secs(ms)} = ${rate(n, ms)} enrolments/s — limit 60 s: ${ms < 60_000 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `    effects: ${fmt(kinds.move)} move, ${fmt(kinds.update)} update, ${fmt(kinds.add)} add, ${fmt(kinds.remove)} remove, ${fmt(kinds.past)} past`,
  );
  console.log(`    preview: ${preview.summary}`);
  return { ms, pass: ms < 60_000 };
}

async function applyScenario(args: Args) {
  const m = args.applyN;
  console.log(`\napply: the edit applied over NATS to ${fmt(m)} enrolments (load tasks → planChangeEffects → task commands)`);
  const env = await natsStore();
  try {
    const agent = randomUUID();
    const tasks = createTaskStore(env.store);
    const list = enrolments(m, Date.now(), 20);
    const tp = performance.now();
    await planAll(tasks, agent, V1, list, args.concurrency, 'planning v1');
    done(`planned v1 for ${fmt(m)} enrolments in ${secs(performance.now() - tp)}`);

    let commands = 0;
    let appended = 0;
    const kinds = { move: 0, update: 0, add: 0, remove: 0, past: 0 };
    const t0 = performance.now();
    await pool(
      m,
      Math.max(1, Math.floor(args.concurrency / 6)),
      async (i) => {
        const e = list[i] as Enrolment;
        const now = new Date().toISOString();
        // The enrolment's tasks: every step of every version from the enrolled one to the new one.
        const stepIds = [...new Set([...V1.steps, ...V2.steps].map((s) => s.id))];
        const snapshots = new Map<string, PlanTaskSnapshot>();
        await Promise.all(
          stepIds.map(async (stepId) => {
            const taskId = planTaskId(e.enrollmentId, stepId);
            const { state } = await tasks.load({ agentId: agent, aggregateId: taskId });
            if (state.status === 'absent') return;
            snapshots.set(stepId, {
              task_id: taskId,
              status: state.status,
              scheduled_for: state.scheduled_for,
              pinned: state.pinned,
              held_reason: state.held_reason,
            });
          }),
        );
        const effects = planChangeEffects({
          from: V1,
          to: V2,
          tasks: snapshots,
          anchor: e.enrolledAt,
          settings: SETTINGS,
          clientZone: e.zone,
          clientId: e.clientId,
          enrollmentId: e.enrollmentId,
          now,
        });
        const cause = deterministicId('EnrollmentMigrated', e.enrollmentId, '2');
        await Promise.all(
          effects.map(async (fx) => {
            kinds[fx.kind]++;
            const ref = { agentId: agent, aggregateId: fx.task_id };
            let r: Awaited<ReturnType<TaskStore['handle']>> | null = null;
            if (fx.kind === 'move' || fx.kind === 'update')
              r = await tasks.handle(
                ref,
                { type: 'RescheduleTask', data: { scheduled_for: fx.to, by: 'plan_change', timing: fx.timing, plan: fx.plan }, now },
                opts(fx.task_id, cause),
              );
            else if (fx.kind === 'add')
              r = await tasks.handle(
                ref,
                {
                  type: 'ScheduleTask',
                  data: {
                    client_id: e.clientId,
                    followup_type: followupTypeFor(fx.step.label),
                    scheduled_for: fx.scheduled_for,
                    priority: fx.step.priority,
                    notes: null,
                    origin: 'plan',
                    plan: fx.plan,
                    timing: fx.timing,
                  },
                  now,
                },
                opts(fx.task_id, cause, 'TaskScheduled'),
              );
            else if (fx.kind === 'remove')
              r = await tasks.handle(ref, { type: 'CancelTask', data: { reason: 'step_removed' } }, opts(fx.task_id, cause));
            if (r) {
              commands++;
              appended += r.events.length;
            }
          }),
        );
      },
      (n) => `apply: ${fmt(n)} / ${fmt(m)} enrolments`,
    );
    const ms = performance.now() - t0;
    done(
      `applied to ${fmt(m)} enrolments in ${secs(ms)} = ${rate(m, ms)} enrolments/s; ${fmt(commands)} task commands (${rate(commands, ms)}/s), ${fmt(appended)} events appended`,
    );
    console.log(
      `    effects: ${fmt(kinds.move)} move, ${fmt(kinds.update)} update, ${fmt(kinds.add)} add, ${fmt(kinds.remove)} remove, ${fmt(kinds.past)} past`,
    );
    return { ms };
  } finally {
    await env.close();
  }
}

const args = parseArgs(process.argv.slice(2));
const natsVersion = (() => {
  try {
    return execFileSync(process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server', ['--version'])
      .toString()
      .trim();
  } catch {
    return 'nats-server (unknown version)';
  }
})();
console.log(
  `RealtorOS plans benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}, ${natsVersion}`,
);
let ok = true;
if (args.scenario === 'plan' || args.scenario === 'all') await planScenario(args);
if (args.scenario === 'recompute' || args.scenario === 'all') ok = (await recomputeScenario(args)).pass && ok;
if (args.scenario === 'apply' || args.scenario === 'all') await applyScenario(args);
process.exit(ok ? 0 : 1);
