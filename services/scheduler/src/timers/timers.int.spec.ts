import { randomUUID } from 'node:crypto';
import type { Envelope } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCreated, commandsReady, newAgent, schedulerHarness, sleep, type SchedulerHarness } from '../test-support.ts';

const FAR = JSON.stringify([{ followup_type: 'Day 1', offset_seconds: 86_400, priority: 'high' }]);
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const taskOf = (reply: { ok: boolean; data?: unknown }) =>
  reply.ok ? (reply.data as { id: string; version: number }) : { id: '', version: 0 };
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
    // The planner starts before the command subscription: planning done is not "answers commands".
    await commandsReady(h);
  });
  afterAll(async () => h?.dispose());

  const dues = async (taskId: string) =>
    (await h.events()).filter((e): e is Due & { seq: number } => e.type === 'TaskDue' && e.aggregate_id === taskId);

  it('a reschedule to now+2 s fires within 3 s, and the old timer never fires', async () => {
    const task = taskOf(await h.command(agent, 'create_task', { client_id: client, scheduled_for: inMs(4000) }));
    expect(task.version).toBe(1);
    const movedAt = Date.now();
    const moved = await h.command(agent, 'update_task', { task_id: task.id, scheduled_for: new Date(movedAt + 2000).toISOString() });
    expect(moved).toMatchObject({ ok: true, data: { version: 2 } });
    const [due] = await waitFor(
      async () => {
        const d = await dues(task.id);
        return d.length > 0 && d;
      },
      { what: 'TaskDue', timeoutMs: 3000 - (Date.now() - movedAt) },
    );
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
    const [done, skipped, control] = await Promise.all(
      [0, 1, 2].map(async () => taskOf(await h.command(agent, 'create_task', { client_id: client, scheduled_for: at }))),
    );
    // A second client whose tasks are cancelled by its deletion.
    const other = clientCreated(agent);
    await h.store.append(other);
    const doomed = taskOf(
      await waitFor(
        async () => {
          const r = await h.command(agent, 'create_task', { client_id: other.aggregate_id, scheduled_for: at });
          return r.ok && r;
        },
        { what: 'task for the second client' },
      ),
    );
    expect((await h.command(agent, 'update_task', { task_id: done?.id, status: 'completed' })).ok).toBe(true);
    expect((await h.command(agent, 'update_task', { task_id: skipped?.id, status: 'skipped' })).ok).toBe(true);
    await h.store.append(
      newEvent('ClientDeleted', {
        agentId: agent,
        aggregateId: other.aggregate_id,
        correlationId: 'd',
        causationId: null,
        data: { email: other.data.email },
      }),
    );
    await waitFor(async () => (await h.events()).some((e) => e.type === 'TaskCancelled' && e.aggregate_id === doomed.id), {
      what: 'cancelled',
    });

    await waitFor(async () => (await dues(control?.id ?? '')).length > 0, { what: 'control task due', timeoutMs: 5000 });
    await sleep(1000);
    for (const t of [done, skipped, doomed]) expect(await dues(t?.id ?? '')).toEqual([]);
    // And a due task can still be closed by its email outcome.
    const emailId = randomUUID();
    await h.store.append(
      newEvent('EmailSent', {
        agentId: agent,
        aggregateId: emailId,
        correlationId: 'e',
        causationId: null,
        data: {
          task_id: control?.id ?? null,
          client_id: client,
          to_email: 'ann@example.com',
          provider: 'outbox',
          message_id: 'm1',
          sent_at: new Date().toISOString(),
          attempts: 1,
        },
      }),
    );
    await waitFor(
      async () =>
        (await h.events()).some(
          (e) => e.type === 'TaskCompleted' && e.aggregate_id === control?.id && e.data.by === 'email' && e.data.email_id === emailId,
        ),
      {
        what: 'completed by email',
      },
    );
  });
});
