import { randomUUID } from 'node:crypto';
import { type AgentSettings, DEFAULT_AGENT_SETTINGS, type Envelope } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { nextDaySlot } from '@realtoros/planning';
import { waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulerHarness, schedulerHarness, sleep } from '../test-support.ts';

/**
 * The daily cap in the scheduler service as main.ts wires it (its own process on a real
 * nats-server): the 151st automated email of the day is held to the next day's slot.
 */
describe('the daily cap in the scheduler service', () => {
  let h: SchedulerHarness;
  beforeAll(async () => {
    h = await schedulerHarness();
    const svc = h.start({ LOG_LEVEL: 'info' });
    await waitFor(async () => svc.output().includes('ticker started'), { what: 'ticker started', timeoutMs: 20_000 });
  });
  afterAll(async () => h?.dispose());

  it('151 planned emails due now → exactly 150 TaskDue and 1 TaskHeld {daily_cap} until the next day’s slot', async () => {
    if (Date.now() % 86_400_000 > 86_400_000 - 60_000) await sleep(61_000); // not across a UTC midnight
    const agent = randomUUID();
    const window: Partial<AgentSettings> = {
      time_zone: 'UTC',
      business_days: [1, 2, 3, 4, 5, 6, 7],
      window_start: '00:00',
      window_end: '23:59',
    };
    await h.store.append(
      newEvent('AgentSettingsChanged', {
        agentId: agent,
        aggregateId: agent,
        correlationId: 't',
        causationId: null,
        data: { changes: window },
      }),
    );
    const now = new Date().toISOString();
    const clients = new Map<string, string>();
    const planId = randomUUID();
    for (let i = 0; i < 151; i++) {
      const task = randomUUID();
      const client = randomUUID();
      clients.set(task, client);
      await h.store.append(
        newEvent('TaskScheduled', {
          agentId: agent,
          aggregateId: task,
          correlationId: 't',
          causationId: null,
          data: {
            client_id: client,
            followup_type: 'Day 1',
            scheduled_for: now,
            priority: 'high',
            notes: null,
            version: 1,
            origin: 'plan',
            plan: {
              enrollment_id: randomUUID(),
              plan_id: planId,
              plan_name: 'New lead',
              plan_version: 1,
              step_id: 'day-1',
              step_index: 1,
              step_label: 'Day 1',
              action: 'email',
              instructions: null,
              template_id: null,
            },
            timing: { planned_for: now, time_zone: 'UTC', placement: 'window' },
          },
        }),
        { expectedLastSubjectSeq: 0 },
      );
    }
    const decided = async () => (await h.events()).filter((e) => e.agent_id === agent && (e.type === 'TaskDue' || e.type === 'TaskHeld'));
    await waitFor(async () => (await decided()).length >= 151, { what: '151 decisions', timeoutMs: 30_000 });
    await sleep(1500);
    const events = await decided();
    expect(events.filter((e) => e.type === 'TaskDue')).toHaveLength(150);
    const holds = events.filter((e): e is Envelope<'TaskHeld'> & { seq: number } => e.type === 'TaskHeld');
    expect(holds).toHaveLength(1);
    const held = holds[0] as Envelope<'TaskHeld'>;
    const client = clients.get(held.aggregate_id) ?? '';
    expect(held.data).toEqual({
      client_id: client,
      reason: 'daily_cap',
      from: now,
      until: nextDaySlot(held.occurred_at, { ...DEFAULT_AGENT_SETTINGS, ...window }, 'UTC', client),
      version: 2,
      cap: 150,
      time_zone: 'UTC',
    });
  });
});
