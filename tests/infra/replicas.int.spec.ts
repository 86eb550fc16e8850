import { readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sql } from '@realtoros/db';
import { type ServiceProcess, type Stack, startService, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from '../api/http.ts';

/** CPU ticks (user + system) a process has spent so far. */
const cpuTicks = (p: ServiceProcess): number => {
  const stat = readFileSync(`/proc/${p.proc.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const CLIENTS = 120;
const STEPS = 5; // the default plan

/**
 * deploy/SCALING.md, "Today": the stages that share their work through queue groups and
 * shared durable consumers run as two processes each here — two crm, two scheduler, two
 * projector replicas behind one gateway, on one real nats-server and Postgres.
 */
describe('replicas share the work (deploy/SCALING.md)', () => {
  let stack: Stack;
  const extra: ServiceProcess[] = [];
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { LOG_LEVEL: 'error' });
    for (const name of ['crm', 'scheduler', 'projector']) extra.push(startService(name, stack.env));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(extra.map((p) => p.stop('SIGKILL')));
    await stack?.dispose();
  });

  it('a burst of clients on two replicas of crm, scheduler and projector: each client planned exactly once, both replicas of a stage took part, the read models match the streams', async () => {
    const { token } = await signUp(stack.api);
    const api = apiClient(stack.api, token);
    await waitFor(async () => ((await api.get('/api/plans')).body.items?.length ?? 0) > 0, { what: 'default plan' });
    const schedulers = [stack.services.get('scheduler') as ServiceProcess, extra[1] as ServiceProcess];
    const crms = [stack.services.get('crm') as ServiceProcess, extra[0] as ServiceProcess];
    const before = [...schedulers, ...crms].map(cpuTicks);

    const ids: string[] = [];
    for (let i = 0; i < CLIENTS; i += 12) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, k) =>
          api.post('/api/clients', { name: `Replica Client ${i + k}`, email: `r${i + k}@example.com`, stage: 'lead' }),
        ),
      );
      for (const a of answers) {
        expect(a.status).toBe(201);
        ids.push(a.body.id);
      }
    }
    expect(new Set(ids).size).toBe(CLIENTS);

    // Every client's five follow-ups in the read model, once each.
    await waitFor(
      async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tasks WHERE client_id = ANY(${ids}::uuid[])`.execute(
          stack.database.db,
        );
        return r.rows[0]?.n === CLIENTS * STEPS;
      },
      { timeoutMs: 60_000, what: 'all follow-ups projected' },
    );
    const perClient = await sql<{ client_id: string; n: number; steps: number }>`
      SELECT client_id, count(*)::int AS n, count(DISTINCT step_id)::int AS steps FROM tasks WHERE client_id = ANY(${ids}::uuid[]) GROUP BY client_id`.execute(
      stack.database.db,
    );
    expect(perClient.rows).toHaveLength(CLIENTS);
    for (const row of perClient.rows) expect(row).toMatchObject({ n: STEPS, steps: STEPS });

    // The stream: one TaskScheduled per task subject (no replica planned a client twice), one
    // enrolment per client.
    const nc = await connect({ servers: stack.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const tasks = (await jsm.streams.info('SCHEDULER', { subjects_filter: 'sched.*.task.*' })).state.subjects ?? {};
      expect(Object.keys(tasks)).toHaveLength(CLIENTS * STEPS);
      expect(Object.values(tasks).every((n) => n === 1)).toBe(true);
      const enrolments = (await jsm.streams.info('SCHEDULER', { subjects_filter: 'sched.*.enrollment.*' })).state.subjects ?? {};
      expect(Object.keys(enrolments)).toHaveLength(CLIENTS);

      // Two projector replicas, one checkpoint per stream: it stands at the stream's head, and
      // no timeline row was written twice.
      for (const stream of ['CRM', 'SCHEDULER'] as const) {
        const head = (await jsm.streams.info(stream)).state.last_seq;
        await waitFor(
          async () => {
            const r = await sql<{ last_seq: number }>`SELECT last_seq FROM projection_checkpoints WHERE stream = ${stream}`.execute(
              stack.database.db,
            );
            return Number(r.rows[0]?.last_seq) === head;
          },
          { what: `${stream} checkpoint at the head` },
        );
      }
    } finally {
      await nc.close();
    }

    // Both replicas of each shared stage did part of the work (CPU spent during the burst,
    // well above what an idle process spends polling).
    const spent = [...schedulers, ...crms].map((p, i) => cpuTicks(p) - (before[i] as number));
    const [s1, s2, c1, c2] = spent as [number, number, number, number];
    expect(Math.min(s1, s2)).toBeGreaterThan(0.1 * (s1 + s2));
    expect(Math.min(c1, c2)).toBeGreaterThan(0.1 * (c1 + c2));
  }, 180_000);
});
