import { type Stack, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, signUp } from './http.ts';

type Api = ReturnType<typeof apiClient>;
type Step = {
  id: string;
  label: string;
  offset_days: number;
  time_of_day: string | null;
  priority: string;
  action: string;
  instructions: string | null;
};
type PlanBody = {
  id: string;
  name: string;
  version: number;
  steps: Step[];
  stop_stages: string[];
  stage_trigger: string | null;
  is_default: boolean;
};
type TaskBody = {
  id: string;
  status: string;
  scheduled_for: string;
  created_at: string;
  step_label?: string | null;
  plan_version?: number | null;
  held_reason?: string | null;
};
type Pointers = { status: number; body: { errors?: { pointer: string; detail: string }[] } };

/** The default plan's first step fires seconds after a client is added (the email trail test); the rest are days away. */
const FOLLOWUP_SCHEDULE = JSON.stringify({
  'Day 1': { offset_seconds: 2 },
  'Day 3': { offset_days: 3 },
  'Week 1': { offset_days: 7 },
  'Week 2': { offset_days: 14 },
  'Month 1': { offset_days: 30 },
});
const ALL_WEEK = [1, 2, 3, 4, 5, 6, 7];
const ZONE = 'America/Chicago';

/** The trail's own date words, written independently: "Mon 09:37", "Nov 29" (Intl, en-US, 24-hour). */
function words(instant: string, zone: string) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((x) => [x.type, x.value]),
  );
  return { dayTime: `${p.weekday} ${p.hour}:${p.minute}`, monthDay: `${p.month} ${p.day}` };
}
const pointersOf = (r: Pointers) => (r.body.errors ?? []).map((e) => e.pointer);

/**
 * Plans, enrolments, settings and decision trails through the API, on the real stack
 * (gateway → scheduler/crm over NATS → JetStream → projector → Postgres; ai-agent with the
 * template writer and the mailer's outbox for the one email).
 */
describe('plans, enrolments, settings and trails on the real stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      FOLLOWUP_SCHEDULE,
      AI_PROVIDER: 'template',
    });
  });
  afterAll(async () => stack?.dispose());

  /** A new agent whose window is open every day in Chicago (so a 10:00 step is not moved by it). */
  async function agent() {
    const a = await signUp(stack.api);
    const r = await a.api.patch('/api/settings', { time_zone: ZONE, business_days: ALL_WEEK });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return a;
  }
  async function createPlan(api: Api, body: Record<string, unknown>): Promise<PlanBody> {
    const r = await api.post('/api/plans', body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  }
  async function newClient(api: Api, name: string, extra: Record<string, unknown> = {}) {
    const r = await api.post('/api/clients', {
      name,
      email: `${name.split(' ')[0]!.toLowerCase()}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; time_zone: string | null; enrollment: unknown };
  }
  const tasksOf = async (api: Api, clientId: string) =>
    (await api.get(`/api/clients/${clientId}/tasks?limit=100`)).body.items as TaskBody[];
  const waitTasks = (api: Api, clientId: string, n: number, status = 'pending') =>
    waitFor(
      async () => {
        const tasks = await tasksOf(api, clientId);
        return tasks.filter((t) => t.status === status).length === n && tasks;
      },
      { what: `${n} ${status} tasks`, timeoutMs: 20_000 },
    );
  const enrollmentOf = async (api: Api, clientId: string) => (await api.get(`/api/clients/${clientId}`)).body.enrollment;

  it('settings: defaults, a partial change, and a bad window → 400 with pointers (nothing changes)', async () => {
    const { api } = await signUp(stack.api);
    const before = await api.get('/api/settings');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      time_zone: 'America/New_York',
      business_days: [1, 2, 3, 4, 5],
      window_start: '09:00',
      window_end: '17:00',
      holidays: [],
      daily_cap: 150,
      review_by_default: false,
      signature: null,
      postal_address: null,
    });
    const changed = await api.patch('/api/settings', { time_zone: ZONE, window_start: '08:30', holidays: ['2026-12-25'], daily_cap: 40 });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      time_zone: ZONE,
      window_start: '08:30',
      window_end: '17:00',
      holidays: ['2026-12-25'],
      daily_cap: 40,
      business_days: [1, 2, 3, 4, 5],
    });
    expect((await api.get('/api/settings')).body).toEqual(changed.body);

    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['unknown time zone', { time_zone: 'Mars/Olympus_Mons' }, '/time_zone', /IANA time zone/],
      ['an offset is not a zone', { time_zone: '+05:30' }, '/time_zone', /IANA time zone/],
      ['window ends before it starts', { window_start: '18:00', window_end: '09:00' }, '/window_end', /later than window_start/],
      ['an end before the stored start', { window_end: '08:00' }, '/window_end', /later than window_start/],
      ['a start after the stored end', { window_start: '17:30' }, '/window_end', /later than window_start/],
      ['an empty window', { window_start: '10:00', window_end: '10:00' }, '/window_end', /later than window_start/],
      ['a cap of 0', { daily_cap: 0 }, '/daily_cap', /1/],
      ['a negative cap', { daily_cap: -5 }, '/daily_cap', /1/],
      ['not a time', { window_start: '25:00' }, '/window_start', /HH:MM/],
      ['not a date', { holidays: ['2026-02-30'] }, '/holidays/0', /real date/],
      ['no business day', { business_days: [] }, '/business_days', /.+/],
      ['weekday 8', { business_days: [1, 8] }, '/business_days/1', /.+/],
      ['unknown field', { window: '9-5' }, '/window', /not an accepted field/],
    ];
    for (const [what, body, pointer, detail] of cases) {
      const r = await api.patch('/api/settings', body);
      expect(r.status, what).toBe(400);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
      const error = (r.body.errors as { pointer: string; detail: string }[]).find((e) => e.pointer === pointer);
      expect(error, `${what}: ${JSON.stringify(r.body.errors)}`).toBeDefined();
      expect(error!.detail, what).toMatch(detail);
    }
    expect((await api.patch('/api/settings', {})).status).toBe(400);
    expect((await api.get('/api/settings')).body).toEqual(changed.body);
  });

  it('plan round trip: create, list, get, patch (a new version, If-Match), delete', async () => {
    const { api } = await agent();
    const plan = await createPlan(api, {
      name: 'New lead',
      steps: [
        { label: 'Day 1', offset_days: 1, priority: 'high' },
        { label: 'Call', offset_days: 2, time_of_day: '10:00', action: 'task', instructions: 'Ask about financing' },
      ],
    });
    expect(plan).toMatchObject({
      name: 'New lead',
      version: 1,
      stop_stages: ['lost', 'closed'],
      stage_trigger: null,
      is_default: false,
      steps: [
        { label: 'Day 1', offset_days: 1, priority: 'high', action: 'email', time_of_day: null, instructions: null, template_id: null },
        { label: 'Call', offset_days: 2, priority: 'medium', action: 'task', time_of_day: '10:00', instructions: 'Ask about financing' },
      ],
    });
    expect(plan.steps[0]!.id).not.toBe(plan.steps[1]!.id);

    const got = await api.get(`/api/plans/${plan.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: plan.id, version: 1, enrolled_count: 0 });
    const etag = got.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);

    // The default plan is there too (created when the agent registered).
    const list = await waitFor(
      async () => {
        const r = await api.get('/api/plans');
        return r.body.items.length === 2 && (r.body.items as PlanBody[]);
      },
      { what: 'the default plan and the new one' },
    );
    expect(list.find((p) => p.is_default)).toMatchObject({ name: 'Standard follow-up', steps: expect.any(Array) });
    expect(list.find((p) => p.id === plan.id)).toMatchObject({ name: 'New lead' });

    const patched = await api.call(
      'PATCH',
      `/api/plans/${plan.id}`,
      { name: 'New lead (spring)', steps: [{ id: plan.steps[1]!.id, label: 'Call', offset_days: 3 }] },
      { 'if-match': etag! },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    // The step kept its id and (left out) its time of day, action and instructions.
    expect(patched.body).toMatchObject({
      name: 'New lead (spring)',
      version: 2,
      steps: [{ id: plan.steps[1]!.id, offset_days: 3, time_of_day: '10:00', action: 'task', instructions: 'Ask about financing' }],
    });
    expect(patched.headers.get('etag')).not.toBe(etag);
    const stale = await api.call('PATCH', `/api/plans/${plan.id}`, { name: 'Stale' }, { 'if-match': etag! });
    expect(stale.status).toBe(412);
    expect((await api.get(`/api/plans/${plan.id}`)).body).toMatchObject({ name: 'New lead (spring)', version: 2 });

    expect((await api.call('DELETE', `/api/plans/${plan.id}`, undefined, { 'if-match': etag! })).status).toBe(412);
    expect((await api.del(`/api/plans/${plan.id}`)).status).toBe(204);
    const gone = await api.get(`/api/plans/${plan.id}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await api.get('/api/plans')).body.items.map((p: PlanBody) => p.id)).not.toContain(plan.id);
    expect((await api.patch(`/api/plans/${plan.id}`, { name: 'Again' })).status).toBe(404);
    expect((await api.del(`/api/plans/${plan.id}`)).status).toBe(404);
  });

  it('bad plans and clients → 400 with pointers', async () => {
    const { api } = await agent();
    const plan = await createPlan(api, { name: 'Valid', steps: [{ label: 'Day 1', offset_days: 1 }] });
    const cases: [string, () => Promise<Pointers>, string][] = [
      ['no steps', () => api.post('/api/plans', { name: 'Empty', steps: [] }), '/steps'],
      ['steps missing', () => api.post('/api/plans', { name: 'Empty' }), '/steps'],
      [
        'negative offset',
        () => api.post('/api/plans', { name: 'Back', steps: [{ label: 'Day -1', offset_days: -1 }] }),
        '/steps/0/offset_days',
      ],
      [
        'fractional offset',
        () => api.post('/api/plans', { name: 'Half', steps: [{ label: 'x', offset_days: 1.5 }] }),
        '/steps/0/offset_days',
      ],
      [
        'bad time of day',
        () => api.post('/api/plans', { name: 'Late', steps: [{ label: 'x', offset_days: 1, time_of_day: '7pm' }] }),
        '/steps/0/time_of_day',
      ],
      [
        'bad action',
        () => api.post('/api/plans', { name: 'x', steps: [{ label: 'x', offset_days: 1, action: 'fax' }] }),
        '/steps/0/action',
      ],
      ['empty name', () => api.post('/api/plans', { name: '', steps: [{ label: 'x', offset_days: 1 }] }), '/name'],
      [
        'bad stop stage',
        () => api.post('/api/plans', { name: 'x', steps: [{ label: 'x', offset_days: 1 }], stop_stages: ['gone'] }),
        '/stop_stages/0',
      ],
      ['patch: no steps', () => api.patch(`/api/plans/${plan.id}`, { steps: [] }), '/steps'],
      [
        'patch: negative offset',
        () => api.patch(`/api/plans/${plan.id}`, { steps: [{ label: 'x', offset_days: -3 }] }),
        '/steps/0/offset_days',
      ],
      ['patch: bad apply_to', () => api.patch(`/api/plans/${plan.id}`, { name: 'x', apply_to: 'all' }), '/apply_to'],
      ['preview: no steps', () => api.post(`/api/plans/${plan.id}/preview`, { steps: [] }), '/steps'],
      [
        'preview: a step id twice',
        () =>
          api.post(`/api/plans/${plan.id}/preview`, {
            steps: [
              { id: 'a-1', label: 'x', offset_days: 1 },
              { id: 'a-1', label: 'y', offset_days: 2 },
            ],
          }),
        '/steps/1/id',
      ],
      [
        'client: unknown time zone',
        () => api.post('/api/clients', { name: 'Zed', email: 'zed@example.com', time_zone: 'Nowhere/City' }),
        '/time_zone',
      ],
      [
        'client: bad plan_id',
        () => api.post('/api/clients', { name: 'Zed', email: 'zed2@example.com', plan_id: 'not-a-uuid' }),
        '/plan_id',
      ],
      ['enrol: bad plan id', () => api.post(`/api/clients/${plan.id}/enrollment`, { plan_id: 'x' }), '/plan_id'],
      ['enrollment: bad action', () => api.patch(`/api/clients/${plan.id}/enrollment`, { action: 'stop' }), '/action'],
    ];
    for (const [what, call, pointer] of cases) {
      const r = await call();
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(pointersOf(r), what).toContain(pointer);
    }
    const zone = await api.post('/api/clients', { name: 'Zed', email: 'zed3@example.com', time_zone: 'Nowhere/City' });
    expect(zone.body.errors).toContainEqual({ pointer: '/time_zone', detail: 'must be a known IANA time zone, e.g. "America/Chicago"' });
    expect((await api.get(`/api/plans/${plan.id}`)).body).toMatchObject({ version: 1 });
  });

  it("another agent's plan → 404 on GET, PATCH, DELETE, preview and enrolling with it", async () => {
    const a = await agent();
    const b = await agent();
    const plan = await createPlan(a.api, { name: 'Private', steps: [{ label: 'Day 1', offset_days: 1 }] });
    const bClient = await newClient(b.api, 'Bea Other', { plan_id: null });
    const calls: [string, () => Promise<{ status: number; headers: Headers }>][] = [
      ['GET', () => b.api.get(`/api/plans/${plan.id}`)],
      ['PATCH', () => b.api.patch(`/api/plans/${plan.id}`, { name: 'Mine now' })],
      ['PATCH with If-Match', () => b.api.call('PATCH', `/api/plans/${plan.id}`, { name: 'Mine now' }, { 'if-match': '"1"' })],
      ['DELETE', () => b.api.del(`/api/plans/${plan.id}`)],
      ['preview', () => b.api.post(`/api/plans/${plan.id}/preview`, { name: 'Mine now' })],
      ['enrol with it', () => b.api.post(`/api/clients/${bClient.id}/enrollment`, { plan_id: plan.id })],
    ];
    for (const [what, call] of calls) {
      const r = await call();
      expect(r.status, what).toBe(404);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
    }
    expect((await b.api.get('/api/plans')).body.items.map((p: PlanBody) => p.id)).not.toContain(plan.id);
    // a's client is b's 404 too.
    const aClient = await newClient(a.api, 'Ann Mine', { plan_id: null });
    const bPlan = await createPlan(b.api, { name: 'Bs', steps: [{ label: 'Day 1', offset_days: 1 }] });
    expect((await b.api.post(`/api/clients/${aClient.id}/enrollment`, { plan_id: bPlan.id })).status).toBe(404);
    expect((await b.api.patch(`/api/clients/${aClient.id}/enrollment`, { action: 'pause' })).status).toBe(404);
    // Nothing happened to it.
    expect((await a.api.get(`/api/plans/${plan.id}`)).body).toMatchObject({ name: 'Private', version: 1 });
    expect(await enrollmentOf(b.api, bClient.id)).toBeNull();
  });

  it('enrol, pause, resume and end through the API show in the client’s enrollment', async () => {
    const { api } = await agent();
    const plan = await createPlan(api, {
      name: 'Nurture',
      steps: [
        { label: 'Check in', offset_days: 2, time_of_day: '10:00' },
        { label: 'Follow up', offset_days: 9 },
      ],
    });
    const client = await newClient(api, 'Ed Enrol', { plan_id: null, time_zone: 'Europe/Lisbon' });
    expect(client).toMatchObject({ time_zone: 'Europe/Lisbon', enrollment: null });
    expect(await tasksOf(api, client.id)).toEqual([]);

    const enrolled = await api.post(`/api/clients/${client.id}/enrollment`, { plan_id: plan.id });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    expect(enrolled.body).toMatchObject({ plan_id: plan.id, plan_name: 'Nurture', plan_version: 1, status: 'active' });
    expect(await enrollmentOf(api, client.id)).toMatchObject({
      enrollment_id: enrolled.body.enrollment_id,
      plan_id: plan.id,
      status: 'active',
    });
    await waitTasks(api, client.id, 2);
    expect((await api.get(`/api/plans/${plan.id}`)).body.enrolled_count).toBe(1);

    const paused = await api.patch(`/api/clients/${client.id}/enrollment`, { action: 'pause' });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ enrollment_id: enrolled.body.enrollment_id, status: 'paused' });
    expect(await enrollmentOf(api, client.id)).toMatchObject({ status: 'paused' });
    expect((await api.patch(`/api/clients/${client.id}/enrollment`, { action: 'pause' })).status).toBe(409);
    // Its pending steps are held (each pass runs only while the enrolment is still in its state: wait for it).
    await waitFor(async () => (await tasksOf(api, client.id)).every((t) => t.held_reason === 'paused'), { what: 'steps held' });
    // The dashboard's API counts them by reason (the response schema used to drop `held`).
    const held = (await api.get('/api/dashboard/stats')).body.held;
    expect(held.paused).toBeGreaterThanOrEqual(2);
    expect(held.daily_cap).toBeGreaterThanOrEqual(0);

    const resumed = await api.patch(`/api/clients/${client.id}/enrollment`, { action: 'resume' });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active' });
    expect(await enrollmentOf(api, client.id)).toMatchObject({ status: 'active' });
    const released = await waitFor(
      async () => {
        const tasks = await tasksOf(api, client.id);
        return tasks.every((t) => t.status === 'pending' && !t.held_reason) && tasks;
      },
      { what: 'steps released' },
    );
    const checkIn = released.find((t) => t.step_label === 'Check in')!;

    const ended = await api.patch(`/api/clients/${client.id}/enrollment`, { action: 'end' });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'ended', ended_reason: 'manual' });
    expect(await enrollmentOf(api, client.id)).toMatchObject({ status: 'ended', ended_reason: 'manual' });
    await waitTasks(api, client.id, 2, 'cancelled');
    // The trail says all of it, in the client's zone.
    const trail = await api.get(`/api/tasks/${checkIn.id}/trail`);
    expect(trail.body.items.map((i: { text: string }) => i.text)).toEqual([
      `Planned from 'Nurture' v1, step 1 (Check in) on ${words(checkIn.created_at, 'Europe/Lisbon').monthDay}.`,
      'Held: the plan is paused.',
      `Moved to ${words(checkIn.scheduled_for, 'Europe/Lisbon').dayTime} when the plan resumed.`,
      'Cancelled because you ended the plan.',
    ]);
    expect((await api.patch(`/api/clients/${client.id}/enrollment`, { action: 'resume' })).status).toBe(409);
    expect((await api.get(`/api/plans/${plan.id}`)).body.enrolled_count).toBe(0);

    // A client added with a plan joins it; enrolling it in another replaces the first.
    const other = await createPlan(api, { name: 'Other', steps: [{ label: 'Hello', offset_days: 4 }] });
    const joined = await newClient(api, 'Jo Joined', { plan_id: plan.id });
    await waitFor(async () => (await enrollmentOf(api, joined.id))?.status === 'active', { what: 'enrolled on creation' });
    expect(await enrollmentOf(api, joined.id)).toMatchObject({ plan_id: plan.id });
    const moved = await api.post(`/api/clients/${joined.id}/enrollment`, { plan_id: other.id });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({ plan_id: other.id, status: 'active' });
    expect(await enrollmentOf(api, joined.id)).toMatchObject({ plan_id: other.id, status: 'active' });
    // A client added with no plan_id joins the default plan.
    const byDefault = await newClient(api, 'Di Default');
    await waitFor(async () => (await enrollmentOf(api, byDefault.id))?.status === 'active', { what: 'enrolled in the default plan' });
  });

  it('the preview of an edit is what applying it to the current enrolments does', async () => {
    const { api } = await agent();
    const plan = await createPlan(api, {
      name: 'Open house',
      steps: [
        { label: 'Thanks', offset_days: 3, time_of_day: '10:00' },
        { label: 'Check in', offset_days: 10, time_of_day: '11:00' },
        { label: 'Last call', offset_days: 20, time_of_day: '12:00', instructions: 'Short' },
      ],
    });
    const clients = [
      await newClient(api, 'Pia One', { plan_id: plan.id }),
      await newClient(api, 'Pete Two', { plan_id: plan.id, time_zone: 'Asia/Tokyo' }),
    ];
    const before = new Map<string, TaskBody[]>();
    for (const c of clients) before.set(c.id, await waitTasks(api, c.id, 3));
    const [thanks, checkIn, last] = plan.steps as [Step, Step, Step];
    const edit = {
      steps: [
        { id: thanks.id, label: 'Thanks', offset_days: 5, time_of_day: '10:00' }, // moves
        { id: last.id, label: 'Last call', offset_days: 20, time_of_day: '12:00', instructions: 'Short and warm' }, // new instructions
        { label: 'Month 2', offset_days: 60 }, // added
      ], // check in: removed
      apply_to: 'current',
    };
    expect(checkIn.label).toBe('Check in');
    const preview = await api.post(`/api/plans/${plan.id}/preview`, edit);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toEqual({
      enrolled: 2,
      affected: 2,
      moved: 2,
      added: 2,
      removed: 2,
      summary: 'This change affects 2 enrolled clients: 2 steps move, 2 are added, 2 are removed, 2 get new instructions.',
    });
    // Nothing was written.
    expect((await api.get(`/api/plans/${plan.id}`)).body.version).toBe(1);
    for (const c of clients) expect(await tasksOf(api, c.id)).toEqual(before.get(c.id));

    const applied = await api.patch(`/api/plans/${plan.id}`, edit);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.version).toBe(2);
    const counts = { moved: 0, added: 0, removed: 0 };
    for (const c of clients) {
      const old = new Map(before.get(c.id)!.map((t) => [t.id, t]));
      // Three pending again (thanks moved, last call, month 2), one cancelled (check in).
      const after = await waitFor(
        async () => {
          const tasks = await tasksOf(api, c.id);
          const pending = tasks.filter((t) => t.status === 'pending');
          return pending.length === 3 && tasks.some((t) => t.status === 'cancelled') && pending.every((t) => t.plan_version === 2) && tasks;
        },
        { what: 'the edit applied', timeoutMs: 20_000 },
      );
      for (const t of after) {
        const was = old.get(t.id);
        if (!was) counts.added++;
        else if (was.status === 'pending' && t.status === 'cancelled') counts.removed++;
        else if (t.status === 'pending' && Date.parse(t.scheduled_for) !== Date.parse(was.scheduled_for)) counts.moved++;
      }
      // Each decision is in the task's trail, in the client's zone.
      const zone = c.time_zone ?? ZONE;
      const lastText = async (label: string) => {
        const t = after.find((x) => x.step_label === label)!;
        return { t, text: (await api.get(`/api/tasks/${t.id}/trail`)).body.items.at(-1).text };
      };
      const moved = await lastText('Thanks');
      expect(moved.text).toBe(`Moved to ${words(moved.t.scheduled_for, zone).dayTime} by an edit of the plan (v2).`);
      const updated = await lastText('Last call');
      expect(updated.text).toBe(`Changed by an edit of the plan (v2); it still goes ${words(updated.t.scheduled_for, zone).dayTime}.`);
      const removed = after.find((x) => x.status === 'cancelled')!;
      expect((await api.get(`/api/tasks/${removed.id}/trail`)).body.items.at(-1).text).toBe(
        'Cancelled because its step was removed from the plan.',
      );
    }
    expect(counts).toEqual({ moved: preview.body.moved, added: preview.body.added, removed: preview.body.removed });
    // The version as it now stands, sent back with its step ids, changes nothing.
    const steps = (applied.body as PlanBody).steps.map(({ id, label, offset_days, time_of_day, instructions }) => ({
      id,
      label,
      offset_days,
      time_of_day,
      instructions,
    }));
    const again = await api.post(`/api/plans/${plan.id}/preview`, { steps });
    expect(again.body).toEqual({
      enrolled: 2,
      affected: 0,
      moved: 0,
      added: 0,
      removed: 0,
      summary: 'This change affects none of the 2 enrolled clients.',
    });
    // The same body again, though, adds its id-less step anew (and removes the one it added before).
    const resent = await api.post(`/api/plans/${plan.id}/preview`, edit);
    expect(resent.body).toMatchObject({ enrolled: 2, affected: 2, moved: 0, added: 2, removed: 2 });
  });

  it('the trail of a task cancelled because the client moved to lost, and of a sent email', async () => {
    const { api, agent: me } = await agent();
    const plan = await createPlan(api, { name: 'New lead', steps: [{ label: 'Day 3', offset_days: 3, time_of_day: '10:00' }] });
    const client = await newClient(api, 'Lou Lost', { plan_id: plan.id });
    const [task] = (await waitTasks(api, client.id, 1)) as [TaskBody];
    expect((await api.patch(`/api/clients/${client.id}`, { stage: 'lost' })).status).toBe(200);
    await waitTasks(api, client.id, 1, 'cancelled');
    expect(await enrollmentOf(api, client.id)).toMatchObject({ status: 'ended', ended_reason: 'stage_lost' });
    const trail = await api.get(`/api/tasks/${task.id}/trail`);
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((i: { text: string }) => i.text)).toEqual([
      `Planned from 'New lead' v1, step 1 (Day 3) on ${words(task.created_at, ZONE).monthDay}.`,
      'Cancelled because the stage became lost.',
    ]);
    expect(trail.body.items.map((i: { event: string }) => i.event)).toEqual(['TaskScheduled', 'TaskCancelled']);
    expect(trail.body.items[0].at).toEqual(expect.any(String));

    // An email of the default plan's first step (seconds after the client is added).
    const mailed = await newClient(api, 'Em Mailed');
    const email = await waitFor(
      async () => {
        const r = await api.get(`/api/clients/${mailed.id}/emails`);
        return r.body.items?.find((e: { sent_at: string | null }) => e.sent_at) as
          | { id: string; task_id: string; sent_at: string }
          | undefined;
      },
      { what: 'a sent email', timeoutMs: 30_000 },
    );
    const day1 = (await api.get(`/api/tasks/${email.task_id}`)).body as TaskBody;
    const emailTrail = await api.get(`/api/emails/${email.id}/trail`);
    expect(emailTrail.status).toBe(200);
    const texts = emailTrail.body.items.map((i: { text: string }) => i.text) as string[];
    expect(texts[0]).toBe(`Planned from 'Standard follow-up' v1, step 1 (Day 1) on ${words(day1.created_at, ZONE).monthDay}.`);
    expect(texts).toEqual(
      expect.arrayContaining([
        `Due ${words(day1.scheduled_for, ZONE).dayTime}: the email is being written.`,
        expect.stringMatching(/^Written by template on \w{3} \d{2}:\d{2}\.$/),
        `Sent on ${words(email.sent_at, ZONE).dayTime}.`,
      ]),
    );
    const taskTrail = await api.get(`/api/tasks/${day1.id}/trail`);
    expect(taskTrail.body.items.map((i: { text: string }) => i.text)[0]).toBe(texts[0]);

    // Another agent's task and email: 404.
    const other = await signUp(stack.api);
    expect((await other.api.get(`/api/tasks/${task.id}/trail`)).status).toBe(404);
    expect((await other.api.get(`/api/emails/${email.id}/trail`)).status).toBe(404);
    expect((await api.get(`/api/tasks/${me.id}/trail`)).status).toBe(404);
  });
});
