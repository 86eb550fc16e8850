import { randomUUID } from 'node:crypto';
import type { Envelope } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { waitFor } from '@realtoros/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { plannedTaskId } from '../planning/schedule.ts';
import { clientCreated, dueCounts, fastSchedule, newAgent, schedulerHarness, sleep, type SchedulerHarness } from '../test-support.ts';

const FAR = JSON.stringify([{ followup_type: 'Day 1', offset_seconds: 86_400, priority: 'high' }]);
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const taskOf = (reply: { ok: boolean; data?: unknown }) => (reply.ok ? (reply.data as { id: string; version: number }) : { id: '', version: 0 });
type Due = Extract<Envelope, { type: 'TaskDue' }>;

describe('the timer stream fires TaskDue on time, once per schedule version', () => {
  let h: SchedulerHarness;
  let agent: string;
  let client: string;
  beforeAll(async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: FAR });
    h.start();
    agent = newAgent();
    const created = clientCreated(agent);
    client = created.aggregate_id;
    await h.store.append(created);
    await waitFor(async () => (await h.events()).some((e) => e.type === 'TaskScheduled'), { what: 'client known' });
  });
  afterAll(async () => h?.dispose());

  const dues = async (taskId: string) => (await h.events()).filter((e): e is Due & { seq: number } => e.type === 'TaskDue' && e.aggregate_id === taskId);

  it('a reschedule to now+2 s fires within 3 s, and the old timer never fires', async () => {
    const task = taskOf(await h.command(agent, 'create_task', { client_id: client, scheduled_for: inMs(4000) }));
    expect(task.version).toBe(1);
    const movedAt = Date.now();
    const moved = await h.command(agent, 'update_task', { task_id: task.id, scheduled_for: new Date(movedAt + 2000).toISOString() });
    expect(moved).toMatchObject({ ok: true, data: { version: 2 } });
    const [due] = await waitFor(async () => {
      const d = await dues(task.id);
      return d.length > 0 && d;
    }, { what: 'TaskDue', timeoutMs: 3000 - (Date.now() - movedAt) });
    expect(Date.now() - movedAt).toBeLessThanOrEqual(3000);
    expect(due?.data.version).toBe(2);
    expect(Date.parse(due?.data.fired_at ?? '') - Date.parse(due?.data.scheduled_for ?? '')).toBeLessThan(1000);
    // Past the old time: the version-1 timer found a task that had moved on.
    await sleep(Math.max(0, movedAt + 4000 - Date.now()) + 1500);
    expect((await dues(task.id)).map((d) => d.data.version)).toEqual([2]);
  });

  it('a reschedule to later: nothing at the old time, one TaskDue at the new', async () => {
    const task = taskOf(await h.command(agent, 'create_task', { client_id: client, scheduled_for: inMs(1500) }));
    await h.command(agent, 'update_task', { task_id: task.id, scheduled_for: inMs(4000) });
    await sleep(2500);
    expect(await dues(task.id)).toEqual([]);
    await waitFor(async () => (await dues(task.id)).length > 0, { what: 'TaskDue at the new time', timeoutMs: 4000 });
    expect((await dues(task.id)).map((d) => d.data.version)).toEqual([2]);
  });

  it('complete, skip or cancel before due → no TaskDue; the untouched task fires', async () => {
    const at = inMs(2000);
    const [done, skipped, control] = await Promise.all([0, 1, 2].map(async () => taskOf(await h.command(agent, 'create_task', { client_id: client, scheduled_for: at }))));
    // A second client whose tasks are cancelled by its deletion.
    const other = clientCreated(agent);
    await h.store.append(other);
    const doomed = taskOf(
      await waitFor(async () => {
        const r = await h.command(agent, 'create_task', { client_id: other.aggregate_id, scheduled_for: at });
        return r.ok && r;
      }, { what: 'task for the second client' }),
    );
    expect((await h.command(agent, 'update_task', { task_id: done?.id, status: 'completed' })).ok).toBe(true);
    expect((await h.command(agent, 'update_task', { task_id: skipped?.id, status: 'skipped' })).ok).toBe(true);
    await h.store.append(newEvent('ClientDeleted', { agentId: agent, aggregateId: other.aggregate_id, correlationId: 'd', causationId: null, data: { email: other.data.email } }));
    await waitFor(async () => (await h.events()).some((e) => e.type === 'TaskCancelled' && e.aggregate_id === doomed.id), { what: 'cancelled' });

    await waitFor(async () => (await dues(control?.id ?? '')).length > 0, { what: 'control task due', timeoutMs: 5000 });
    await sleep(1000);
    for (const t of [done, skipped, doomed]) expect(await dues(t?.id ?? '')).toEqual([]);
    // And a due task can still be closed by its email outcome.
    const emailId = randomUUID();
    await h.store.append(
      newEvent('EmailSent', {
        agentId: agent, aggregateId: emailId, correlationId: 'e', causationId: null,
        data: { task_id: control?.id ?? null, client_id: client, to_email: 'ann@example.com', provider: 'outbox', message_id: 'm1', sent_at: new Date().toISOString(), attempts: 1 },
      }),
    );
    await waitFor(async () => (await h.events()).some((e) => e.type === 'TaskCompleted' && e.aggregate_id === control?.id && e.data.by === 'email' && e.data.email_id === emailId), {
      what: 'completed by email',
    });
  });
});

/** Many clients whose five follow-ups fall due a few seconds from now. */
async function planMany(h: SchedulerHarness, clients: number): Promise<string[]> {
  const agent = newAgent();
  const ids: string[] = [];
  for (let i = 0; i < clients; i++) {
    const e = clientCreated(agent);
    await h.store.append(e);
    for (const t of ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1'] as const) ids.push(plannedTaskId(e.aggregate_id, t));
  }
  return ids;
}

async function expectEachFiredOnce(h: SchedulerHarness, tasks: string[], timeoutMs = 20_000) {
  const counts = await waitFor(async () => {
    const c = dueCounts(await h.events());
    return tasks.every((t) => (c.get(t) ?? 0) >= 1) && c;
  }, { what: `all ${tasks.length} tasks due`, timeoutMs });
  await sleep(1500); // anything late and duplicated would show up now
  const final = dueCounts(await h.events());
  expect(tasks.filter((t) => final.get(t) !== 1)).toEqual([]);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
}

describe('timers survive crashes, replicas and NATS restarts', () => {
  let h: SchedulerHarness | null = null;
  afterEach(async () => {
    await h?.dispose();
    h = null;
  });

  it('kill -9 the scheduler while timers are due, restart it: every due task fires exactly once', async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: fastSchedule(2, 1) });
    const first = h.start();
    const tasks = await planMany(h, 30);
    const harness = h;
    await waitFor(async () => (dueCounts(await harness.events()).size >= 20), { what: 'some tasks due', timeoutMs: 10_000 });
    await first.stop('SIGKILL');
    const firedBefore = dueCounts(await h.events()).size;
    expect(firedBefore).toBeLessThan(tasks.length);
    await sleep(1500); // more fall due while nobody runs
    h.start();
    await expectEachFiredOnce(h, tasks);
  });

  it('two replicas: one ticks, the other takes over when it dies, no task fires twice', async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: fastSchedule(2, 1) });
    const a = h.start({ LOG_LEVEL: 'info' });
    const b = h.start({ LOG_LEVEL: 'info' });
    const tasks = await planMany(h, 30);
    const harness = h;
    await waitFor(async () => dueCounts(await harness.events()).size >= 30, { what: 'some tasks due', timeoutMs: 10_000 });
    const leader = [a, b].find((p) => p.output().includes('ticker lease acquired'));
    expect(leader).toBeDefined();
    await leader?.stop('SIGKILL');
    await expectEachFiredOnce(h, tasks);
    const survivor = leader === a ? b : a;
    expect(survivor.output()).toContain('ticker lease acquired');
  });

  it('restart nats-server while timers are pending and due: no timer is lost, none fires twice', async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: fastSchedule(3, 1) });
    h.start();
    const tasks = await planMany(h, 30);
    const harness = h;
    await waitFor(async () => (await harness.store.jsm.streams.info('TIMERS')).state.messages >= tasks.length, { what: 'timers parked' });
    await h.nats.stop({ hard: true });
    await sleep(2000);
    await h.nats.start();
    await expectEachFiredOnce(h, tasks, 30_000);
  });
});
