import { newEvent } from '@realtoros/messaging';
import { waitFor } from '@realtoros/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientCreated,
  createdEnrollment,
  dueCounts,
  fastSchedule,
  newAgent,
  type SchedulerHarness,
  schedulerHarness,
  sleep,
} from '../test-support.ts';

/**
 * Many clients whose five follow-ups (the default plan's exact demo steps) fall due a few
 * seconds from now. The agent's daily cap is raised: a killed ticker loses the sends it had
 * reserved but not used (the cap errs on sending fewer), and these tests are about timers.
 */
async function planMany(h: SchedulerHarness, clients: number): Promise<string[]> {
  const agent = newAgent();
  await h.store.append(
    newEvent('AgentSettingsChanged', {
      agentId: agent,
      aggregateId: agent,
      correlationId: 't',
      causationId: null,
      data: { changes: { daily_cap: 10_000 } },
    }),
  );
  const ids: string[] = [];
  for (let i = 0; i < clients; i++) {
    const e = clientCreated(agent);
    await h.store.append(e);
    ids.push(...createdEnrollment(e).taskIds);
  }
  return ids;
}

async function expectEachFiredOnce(h: SchedulerHarness, tasks: string[], timeoutMs = 20_000) {
  const counts = await waitFor(
    async () => {
      const c = dueCounts(await h.events());
      return tasks.every((t) => (c.get(t) ?? 0) >= 1) && c;
    },
    { what: `all ${tasks.length} tasks due`, timeoutMs },
  );
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
    // Every client planned first: a client whose ClientCreated the killed process held unacked
    // would come back only after the planner's ack wait (30 s), which tests the planner, not
    // the timers, and made this test depend on how loaded the machine was.
    await waitFor(
      async () => {
        const events = await harness.events();
        return events.filter((e) => e.type === 'TaskScheduled').length >= tasks.length && dueCounts(events).size >= 20;
      },
      { what: 'every task planned and some due', timeoutMs: 15_000 },
    );
    await first.stop('SIGKILL');
    const firedBefore = dueCounts(await h.events()).size;
    expect(firedBefore).toBeLessThan(tasks.length);
    await sleep(1500); // more fall due while nobody runs
    h.start();
    await expectEachFiredOnce(h, tasks);
  });

  it('two replicas: one ticks, the other takes over when it dies, no task fires twice', async () => {
    // Steps 3 s apart: the leader is killed after the first step fired and well before the
    // last is due, so the later steps can only fire if the other replica takes over.
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: fastSchedule(2, 3) });
    const a = h.start({ LOG_LEVEL: 'info' });
    const b = h.start({ LOG_LEVEL: 'info' });
    const tasks = await planMany(h, 30);
    const harness = h;
    await waitFor(async () => dueCounts(await harness.events()).size >= 30, { what: 'some tasks due', timeoutMs: 10_000 });
    const leader = [a, b].find((p) => p.output().includes('ticker lease acquired'));
    expect(leader).toBeDefined();
    await leader?.stop('SIGKILL');
    expect(dueCounts(await h.events()).size).toBeLessThan(tasks.length);
    await expectEachFiredOnce(h, tasks);
    const survivor = leader === a ? b : a;
    expect(survivor.output()).toContain('ticker lease acquired');
  });

  it('restart nats-server while timers are pending and due: no timer is lost, none fires twice', { timeout: 120_000 }, async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: fastSchedule(3, 1) });
    const scheduler = h.start({ LOG_LEVEL: 'info' });
    const tasks = await planMany(h, 30);
    const harness = h;
    await waitFor(async () => (await harness.store.jsm.streams.info('TIMERS')).state.messages >= tasks.length, { what: 'timers parked' });
    await h.nats.stop({ hard: true });
    await sleep(2000);
    await h.nats.start();
    // The claim is "none lost, none twice", not how fast: under the full suite's load one CI run
    // took over 30 s to fire the last of them after the restart (cause not yet known; the
    // scheduler's output below is printed to find it), so the wait is generous.
    await expectEachFiredOnce(h, tasks, 60_000).catch((err: Error) => {
      // What the scheduler saw of the restart is what tells a slow recovery from a lost timer.
      throw new Error(`${err.message}\n--- scheduler output ---\n${scheduler.output().slice(-20_000)}`);
    });
  });
});
