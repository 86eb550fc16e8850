import { startStack, waitFor, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, signUp } from './http.ts';

type TaskBody = { id: string; client_id: string; followup_type: string; status: string; priority: string; scheduled_for: string; version: number; notes: string | null };
const FOLLOWUP_SCHEDULE = JSON.stringify([
  { followup_type: 'Day 1', offset_seconds: 86_400, priority: 'high' },
  { followup_type: 'Day 3', offset_seconds: 3 * 86_400, priority: 'medium' },
  { followup_type: 'Week 1', offset_seconds: 7 * 86_400, priority: 'medium' },
  { followup_type: 'Week 2', offset_seconds: 14 * 86_400, priority: 'low' },
  { followup_type: 'Month 1', offset_seconds: 30 * 86_400, priority: 'low' },
]);

/** The task slice end to end: gateway → scheduler over NATS → JetStream → projector → Postgres. */
describe('task API on the real stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway'], { FOLLOWUP_SCHEDULE });
  });
  afterAll(async () => stack?.dispose());

  async function clientWithPlan(api: ReturnType<typeof apiClient>, name = 'Maya Chen') {
    const c = await api.post('/api/clients', { name, email: `${name.split(' ')[0]?.toLowerCase()}.${Date.now()}@example.com` });
    expect(c.status).toBe(201);
    const tasks = await waitFor(async () => {
      const r = await api.get(`/api/clients/${c.body.id}/tasks`);
      return r.body.total === 5 && (r.body.items as TaskBody[]);
    }, { what: 'five planned tasks' });
    return { client: c.body as { id: string; created_at: string }, tasks };
  }

  it('plans five follow-ups for a new client, listed in order of due date', async () => {
    const { api } = await signUp(stack.api);
    const { client, tasks } = await clientWithPlan(api);
    expect(tasks.map((t) => [t.followup_type, t.priority, t.status])).toEqual([
      ['Day 1', 'high', 'pending'], ['Day 3', 'medium', 'pending'], ['Week 1', 'medium', 'pending'], ['Week 2', 'low', 'pending'], ['Month 1', 'low', 'pending'],
    ]);
    const created = Date.parse(client.created_at);
    expect(tasks.map((t) => Math.round((Date.parse(t.scheduled_for) - created) / 86_400_000))).toEqual([1, 3, 7, 14, 30]);
    const all = await api.get('/api/tasks?limit=2&page=2');
    expect(all.body).toMatchObject({ total: 5, page: 2, limit: 2 });
    expect(all.body.items.map((t: TaskBody) => t.followup_type)).toEqual(['Week 1', 'Week 2']);
    const soon = await api.get(`/api/tasks?due_before=${encodeURIComponent(new Date(created + 4 * 86_400_000).toISOString())}`);
    expect(soon.body.items.map((t: TaskBody) => t.followup_type)).toEqual(['Day 1', 'Day 3']);
    const later = await api.get(`/api/tasks?due_after=${encodeURIComponent(new Date(created + 10 * 86_400_000).toISOString())}`);
    expect(later.body.items.map((t: TaskBody) => t.followup_type)).toEqual(['Week 2', 'Month 1']);
  });

  it('creates a manual task (201), reschedules, completes, and answers 409 for an illegal transition', async () => {
    const { api } = await signUp(stack.api);
    const { client, tasks } = await clientWithPlan(api);
    const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const created = await api.post('/api/tasks', { client_id: client.id, scheduled_for: at, notes: 'Bring the disclosure pack' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ client_id: client.id, followup_type: 'Custom', priority: 'medium', status: 'pending', notes: 'Bring the disclosure pack', version: 1 });
    // Read-your-writes: it is there at once.
    expect((await api.get(`/api/tasks/${created.body.id}`)).body.scheduled_for).toBe(new Date(at).toISOString());

    const moved = await api.patch(`/api/tasks/${created.body.id}`, { scheduled_for: new Date(Date.now() + 5 * 86_400_000).toISOString(), priority: 'high' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'pending', priority: 'high', version: 2 });

    const day1 = tasks[0] as TaskBody;
    const done = await api.patch(`/api/tasks/${day1.id}`, { status: 'completed' });
    expect(done.body).toMatchObject({ status: 'completed' });
    expect((await api.get(`/api/tasks?status=completed`)).body.items.map((t: TaskBody) => t.id)).toEqual([day1.id]);
    const illegal = await api.patch(`/api/tasks/${day1.id}`, { scheduled_for: new Date().toISOString() });
    expect(illegal.status).toBe(409);
    expect(illegal.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(illegal.body).toMatchObject({ status: 409, title: expect.any(String) });
    expect((await api.patch(`/api/tasks/${day1.id}`, { status: 'skipped' })).status).toBe(409);
  });

  it('deleting the client cancels its pending tasks', async () => {
    const { api } = await signUp(stack.api);
    const { client } = await clientWithPlan(api);
    expect((await api.del(`/api/clients/${client.id}`)).status).toBe(204);
    await waitFor(async () => (await api.get('/api/tasks?status=cancelled')).body.total === 5, { what: 'cancelled tasks' });
  });

  it('tenancy: another agent gets 404 for the task, its client’s tasks, and on writes; lists stay private', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const { client, tasks } = await clientWithPlan(a.api);
    const id = (tasks[0] as TaskBody).id;
    expect((await b.api.get(`/api/tasks/${id}`)).status).toBe(404);
    expect((await b.api.patch(`/api/tasks/${id}`, { status: 'skipped' })).status).toBe(404);
    expect((await b.api.get(`/api/clients/${client.id}/tasks`)).status).toBe(404);
    expect((await b.api.post('/api/tasks', { client_id: client.id, scheduled_for: new Date().toISOString() })).status).toBe(404);
    expect((await b.api.get('/api/tasks')).body.total).toBe(0);
    expect((await a.api.get(`/api/tasks/${id}`)).body.status).toBe('pending');
  });

  it('bad input answers 400 problem details; the scheduler down answers 503', async () => {
    const { api } = await signUp(stack.api);
    const cases: [string, () => Promise<{ status: number; body: any }>, string | null][] = [
      ['bad status filter', () => api.get('/api/tasks?status=done'), '/querystring/status'],
      ['bad due_before', () => api.get('/api/tasks?due_before=tomorrow'), '/querystring/due_before'],
      ['missing scheduled_for', () => api.post('/api/tasks', { client_id: '0190a000-0000-7000-8000-000000000001' }), '/scheduled_for'],
      ['status not settable', () => api.patch('/api/tasks/0190a000-0000-7000-8000-000000000001', { status: 'due' }), '/status'],
      ['empty patch', () => api.patch('/api/tasks/0190a000-0000-7000-8000-000000000001', {}), null],
    ];
    for (const [what, call, pointer] of cases) {
      const r = await call();
      expect(r.status, what).toBe(400);
      if (pointer) expect(r.body.errors.map((e: { pointer: string }) => e.pointer), what).toContain(pointer);
    }
    const { client } = await clientWithPlan(api, 'Offline Person');
    await stack.stop('scheduler');
    const r = await api.post('/api/tasks', { client_id: client.id, scheduled_for: new Date().toISOString() });
    expect(r.status).toBe(503);
    await stack.start('scheduler');
  });
});
