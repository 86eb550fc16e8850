import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { type AgentSettings, DEFAULT_AGENT_SETTINGS, type Envelope, type EventData } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { nextDaySlot } from '@realtoros/planning';
import { waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskStore } from '../task/task-store.ts';
import { type SchedulerHarness, schedulerHarness, sleep } from '../test-support.ts';
import { startTimerArming } from './arming.ts';
import { createDailySends, DAILY_SENDS_BUCKET, openDailySendsBucket } from './daily-sends.ts';
import { createFireGate } from './fire-gate.ts';
import type { Lease } from './lease.ts';
import { startTicker } from './ticker.ts';
import { ensureTimerStream, minuteOf, TIMER_STREAM, timerSubject } from './timer-stream.ts';

/**
 * The fire-time checks on a real nats-server: the daily cap (KV counter, compare-and-set) and
 * the pause check, with the scheduler's own arming and ticker running in this process over the
 * scheduler harness's NATS (the same components main.ts starts). Tasks are appended as the
 * enrolment workflow appends them: TaskScheduled, origin plan, with the plan ref and timing.
 */
const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
const alwaysHeld: Lease = { held: () => true, lost: () => new Promise(() => {}), acquired: async () => {}, stop: async () => {} };
const HORIZON = 35 * 86_400_000;
/** Every day, all day, in UTC: nothing but the cap holds a step back. */
const OPEN_ALL_DAY: Partial<AgentSettings> = {
  time_zone: 'UTC',
  business_days: [1, 2, 3, 4, 5, 6, 7],
  window_start: '00:00',
  window_end: '23:59',
};

describe('fire-time checks: the daily cap and paused enrolments (real NATS)', () => {
  let h: SchedulerHarness;
  let kvm: Kvm;
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    h = await schedulerHarness();
    await ensureTimerStream(h.store.jsm, 35);
    kvm = new Kvm(h.nc);
    running.push(await startTimerArming({ js: h.store.js, jsm: h.store.jsm, log, horizonMs: HORIZON }));
  });
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
    await h?.dispose();
  });

  async function startGatedTicker(name: string) {
    const gate = await createFireGate({ store: h.store, kvm });
    const stateKv = await kvm.create(name, { history: 1 });
    const ticker = startTicker({
      js: h.store.js,
      jsm: h.store.jsm,
      stateKv,
      lease: alwaysHeld,
      tasks: createTaskStore(h.store),
      log,
      horizonMs: HORIZON,
      gate,
    });
    running.push(ticker);
    return ticker;
  }

  async function setSettings(agent: string, changes: Partial<AgentSettings>) {
    await h.store.append(
      newEvent('AgentSettingsChanged', { agentId: agent, aggregateId: agent, correlationId: 't', causationId: null, data: { changes } }),
    );
  }

  const planRef = (enrollmentId: string, action: 'email' | 'task' = 'email'): NonNullable<EventData<'TaskScheduled'>['plan']> => ({
    enrollment_id: enrollmentId,
    plan_id: '0190a000-0000-7000-8000-0000000000f1',
    plan_name: 'New lead',
    plan_version: 1,
    step_id: 'day-1',
    step_index: 1,
    step_label: 'Day 1',
    action,
    instructions: null,
    template_id: null,
  });

  /** One planned step due at `at` for a new client and enrolment; returns its ids. */
  async function plannedTask(
    agent: string,
    at: string,
    opts: { action?: 'email' | 'task'; enrollmentId?: string; clientId?: string } = {},
  ) {
    const task = randomUUID();
    const client = opts.clientId ?? randomUUID();
    const enrollment = opts.enrollmentId ?? randomUUID();
    await h.store.append(
      newEvent('TaskScheduled', {
        agentId: agent,
        aggregateId: task,
        correlationId: 't',
        causationId: null,
        data: {
          client_id: client,
          followup_type: 'Day 1',
          scheduled_for: at,
          priority: 'high',
          notes: null,
          version: 1,
          origin: 'plan',
          plan: planRef(enrollment, opts.action),
          timing: { planned_for: at, time_zone: 'UTC', placement: 'window' },
        },
      }),
      { expectedLastSubjectSeq: 0 },
    );
    return { task, client, enrollment };
  }

  const byAgent = async (agent: string) => (await h.events('SCHEDULER')).filter((e) => e.agent_id === agent);
  const ofType = <T extends Envelope['type']>(events: Envelope[], type: T) =>
    events.filter((e) => e.type === type) as unknown as Envelope<T>[];

  it('the cap holds the 151st email to the next day’s slot: exactly 150 TaskDue and 1 TaskHeld; reminders are never capped', async () => {
    if (Date.now() % 86_400_000 > 86_400_000 - 60_000) await sleep(61_000); // not across a UTC midnight
    const agent = randomUUID();
    await setSettings(agent, OPEN_ALL_DAY); // daily_cap stays the default, 150
    const now = new Date().toISOString();
    const emails = [];
    for (let i = 0; i < 151; i++) emails.push(await plannedTask(agent, now));
    const reminders = [];
    for (let i = 0; i < 5; i++) reminders.push(await plannedTask(agent, now, { action: 'task' }));

    const ticker = await startGatedTicker('state_cap');
    const events = await waitFor(
      async () => {
        const ev = await byAgent(agent);
        return ofType(ev, 'TaskDue').length + ofType(ev, 'TaskHeld').length >= 156 && ev;
      },
      { what: '150 + 5 TaskDue and 1 TaskHeld', timeoutMs: 30_000 },
    );
    await sleep(1500); // nothing more comes
    const after = await byAgent(agent);
    expect(after.length).toBe(events.length);

    const dues = ofType(after, 'TaskDue');
    const holds = ofType(after, 'TaskHeld');
    expect(dues).toHaveLength(155);
    expect(new Set(dues.map((e) => e.aggregate_id)).size).toBe(155);
    expect(dues.filter((e) => e.data.action === 'task')).toHaveLength(5);
    expect(holds).toHaveLength(1);
    const held = holds[0] as Envelope<'TaskHeld'>;
    const heldTask = emails.find((t) => t.task === held.aggregate_id);
    expect(heldTask).toBeDefined();
    const settings: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, ...OPEN_ALL_DAY };
    expect(held.data).toEqual({
      client_id: heldTask?.client,
      reason: 'daily_cap',
      from: now,
      until: nextDaySlot(held.occurred_at, settings, 'UTC', heldTask?.client ?? ''),
      version: 2,
      cap: 150,
      time_zone: 'UTC',
    });
    expect((held.data.until ?? '').slice(0, 10) > held.occurred_at.slice(0, 10)).toBe(true);
    // The counter holds the 150 emails (reminders are not counted)…
    const sends = createDailySends(await openDailySendsBucket(kvm));
    expect(await sends.count(agent, now.slice(0, 10))).toBe(150);
    // …and the hold is armed: a timer for version 2 at `until`.
    const until = Date.parse(held.data.until ?? '');
    const parked = await waitFor(async () => h.store.jsm.direct.getMessage(TIMER_STREAM, { last_by_subj: timerSubject(minuteOf(until)) }), {
      what: 'the hold armed',
    });
    expect(JSON.parse(new TextDecoder().decode(parked.data))).toEqual({ a: agent, t: held.aggregate_id, v: 2, at: until });
    expect(ticker.stats()).toMatchObject({ capped: 1, paused: 0 });
    // The bucket is made with its TTL (3 days).
    const info = await h.store.jsm.streams.info(`KV_${DAILY_SENDS_BUCKET}`);
    expect(info.config.max_age).toBe(3 * 86_400_000 * 1_000_000);
    await ticker.stop();
  });

  it('two tickers at once (split brain) never send past the cap between them; every task is either due or held, once', async () => {
    const agent = randomUUID();
    await setSettings(agent, { ...OPEN_ALL_DAY, daily_cap: 20 });
    const now = new Date().toISOString();
    const tasks = [];
    for (let i = 0; i < 60; i++) tasks.push((await plannedTask(agent, now)).task);
    const [a, b] = [await startGatedTicker('state_split_a'), await startGatedTicker('state_split_b')];
    await waitFor(
      async () => {
        const ev = await byAgent(agent);
        return ofType(ev, 'TaskDue').length + ofType(ev, 'TaskHeld').length >= 60;
      },
      { what: 'every task decided', timeoutMs: 30_000 },
    );
    await sleep(1500);
    const ev = await byAgent(agent);
    const dues = ofType(ev, 'TaskDue');
    const holds = ofType(ev, 'TaskHeld');
    const outcomes = new Map<string, number>();
    for (const e of [...dues, ...holds]) outcomes.set(e.aggregate_id, (outcomes.get(e.aggregate_id) ?? 0) + 1);
    expect(tasks.filter((t) => outcomes.get(t) !== 1)).toEqual([]);
    // At most the cap; a reservation two tickers made for one task is given back by the loser,
    // so the counter ends equal to what was sent (errs on fewer only while both race).
    expect(dues.length).toBeLessThanOrEqual(20);
    expect(dues.length).toBeGreaterThanOrEqual(15);
    log.info({ sent: dues.length, held: holds.length, a: a.stats(), b: b.stats() }, 'split brain');
    const sends = createDailySends(await openDailySendsBucket(kvm));
    expect(await sends.count(agent, now.slice(0, 10))).toBe(dues.length);
    await a.stop();
    await b.stop();
  });

  it('a step whose enrolment is paused is held (paused, until null), not fired; an active, resumed or replaced one fires', async () => {
    const agent = randomUUID();
    await setSettings(agent, OPEN_ALL_DAY);
    const enrol = async (client: string, enrollment: string, then: ('pause' | 'migrate' | 'resume')[]) => {
      const base = { agentId: agent, aggregateId: client, correlationId: 't', causationId: null };
      const plan_id = '0190a000-0000-7000-8000-0000000000f1';
      await h.store.append(
        newEvent('ClientEnrolled', {
          ...base,
          data: {
            client_id: client,
            enrollment_id: enrollment,
            plan_id,
            plan_name: 'New lead',
            plan_version: 1,
            enrolled_at: new Date().toISOString(),
            source: 'created',
          },
        }),
      );
      for (const step of then) {
        if (step === 'pause')
          await h.store.append(
            newEvent('EnrollmentPaused', {
              ...base,
              data: { client_id: client, enrollment_id: enrollment, reason: 'manual', until: null },
            }),
          );
        if (step === 'resume')
          await h.store.append(
            newEvent('EnrollmentResumed', { ...base, data: { client_id: client, enrollment_id: enrollment, paused_ms: 1000 } }),
          );
        if (step === 'migrate')
          await h.store.append(
            newEvent('EnrollmentMigrated', {
              ...base,
              data: { client_id: client, enrollment_id: enrollment, plan_id, from_version: 1, to_version: 2 },
            }),
          );
      }
    };
    const cases = { paused: ['pause'], migratedWhilePaused: ['pause', 'migrate'], resumed: ['pause', 'resume'], active: [] } as const;
    const ids: Record<string, string> = {};
    const now = new Date().toISOString();
    for (const [name, steps] of Object.entries(cases)) {
      const client = randomUUID();
      const enrollment = randomUUID();
      await enrol(client, enrollment, [...steps]);
      ids[name] = (await plannedTask(agent, now, { clientId: client, enrollmentId: enrollment })).task;
    }
    // A step of an enrolment that was replaced: the current one (another id) is paused, its own is not.
    const replacedClient = randomUUID();
    await enrol(replacedClient, randomUUID(), ['pause']);
    ids.otherEnrollment = (await plannedTask(agent, now, { clientId: replacedClient })).task;
    // A reminder of a paused enrolment is held too.
    const reminderClient = randomUUID();
    const reminderEnrollment = randomUUID();
    await enrol(reminderClient, reminderEnrollment, ['pause']);
    ids.pausedReminder = (
      await plannedTask(agent, now, { clientId: reminderClient, enrollmentId: reminderEnrollment, action: 'task' })
    ).task;

    const ticker = await startGatedTicker('state_pause');
    await waitFor(
      async () => {
        const ev = (await byAgent(agent)).filter((e) => e.type === 'TaskDue' || e.type === 'TaskHeld');
        return ev.length >= 6;
      },
      { what: 'six decisions', timeoutMs: 30_000 },
    );
    await sleep(1500);
    const ev = await byAgent(agent);
    const outcome = (task: string) => ev.filter((e) => e.aggregate_id === task && (e.type === 'TaskDue' || e.type === 'TaskHeld'));
    for (const name of ['paused', 'migratedWhilePaused', 'pausedReminder']) {
      const [only, ...more] = outcome(ids[name] ?? '');
      expect(more, name).toEqual([]);
      expect(only, name).toMatchObject({ type: 'TaskHeld', data: { reason: 'paused', until: null, version: 2 } });
    }
    for (const name of ['resumed', 'active', 'otherEnrollment']) {
      const [only, ...more] = outcome(ids[name] ?? '');
      expect(more, name).toEqual([]);
      expect(only?.type, name).toBe('TaskDue');
    }
    expect(ticker.stats()).toMatchObject({ paused: 3 });
    // Paused holds are not counted against the cap.
    expect(await createDailySends(await openDailySendsBucket(kvm)).count(agent, now.slice(0, 10))).toBe(3);
    await ticker.stop();
  });
});
