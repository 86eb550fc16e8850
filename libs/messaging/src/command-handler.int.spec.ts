import type { ClientStage, Envelope } from '@realtoros/contracts';
import { subjects } from '@realtoros/contracts';
import { deciderSpec, startJetStream, type TestJetStream } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  createCommandHandler,
  type Decider,
  DomainError,
  deterministicId,
  type EventDraft,
  type EventStore,
  eventIdFor,
  newEvent,
} from '../index.ts';

/** A small decider over client events, just for the handler: a name and a stage. */
type State = { status: 'absent' } | { status: 'active'; name: string; stage: ClientStage };
type Command = { type: 'Create'; name: string } | { type: 'Edit'; name?: string; stage?: ClientStage } | { type: 'Delete' };
type ClientEventType = 'ClientCreated' | 'ClientUpdated' | 'ClientStageChanged' | 'ClientDeleted';
const profile = { email: 'ann@example.com', phone: null, property_address: null, property_type: null, notes: null, custom_fields: {} };

const decider: Decider<Command, State, ClientEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event) {
    switch (event.type) {
      case 'ClientCreated':
        return { status: 'active', name: event.data.name, stage: event.data.stage };
      case 'ClientUpdated':
        return state.status === 'active' ? { ...state, name: event.data.changes.name ?? state.name } : state;
      case 'ClientStageChanged':
        return state.status === 'active' ? { ...state, stage: event.data.to } : state;
      case 'ClientDeleted':
        return { status: 'absent' };
    }
  },
  decide(command, state): EventDraft<ClientEventType>[] {
    switch (command.type) {
      case 'Create':
        if (state.status !== 'absent') throw new DomainError('conflict', 'exists');
        return [{ type: 'ClientCreated', data: { ...profile, name: command.name, stage: 'lead' } }];
      case 'Edit': {
        if (state.status === 'absent') throw new DomainError('not_found', 'no client');
        // Deliberately two events (the old crm shape), to prove the handler keeps both.
        const out: EventDraft<ClientEventType>[] = [];
        if (command.name !== undefined && command.name !== state.name)
          out.push({ type: 'ClientUpdated', data: { changes: { name: command.name } } });
        if (command.stage !== undefined && command.stage !== state.stage)
          out.push({ type: 'ClientStageChanged', data: { from: state.stage, to: command.stage } });
        return out;
      }
      case 'Delete':
        if (state.status === 'absent') throw new DomainError('not_found', 'no client');
        return [{ type: 'ClientDeleted', data: { email: profile.email } }];
    }
  },
};

const AGENT = '0190a000-0000-7000-8000-000000000001';
let n = 0;
const newClient = () => `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
const cause = (id = deterministicId('cmd', String(Math.random()))) => ({ correlationId: 'c', causationId: id });

/**
 * An event store that, once, appends a real concurrent event to the subject right after
 * the handler's first append succeeded: the second append then loses the race for real.
 */
function interfering(store: EventStore, concurrent: () => Envelope): EventStore & { fired: () => boolean } {
  let armed = true;
  return {
    ...store,
    fired: () => !armed,
    async append(event, opts) {
      const r = await store.append(event, opts);
      if (armed) {
        armed = false;
        const other = concurrent();
        await store.append(other, { expectedLastSubjectSeq: r.seq });
      }
      return r;
    },
  };
}

describe('createCommandHandler on a real JetStream', () => {
  let js: TestJetStream;
  beforeAll(async () => {
    js = await startJetStream(['CRM']);
  });
  afterAll(async () => {
    await js?.dispose();
  });
  const handlerOn = (store: EventStore, maxAttempts?: number) =>
    createCommandHandler(store, decider, { stream: 'CRM', aggregate: 'client', ...(maxAttempts ? { maxAttempts } : {}) });

  it('loads, decides and appends with ids from (type, aggregate, cause); the result folds what it appended', async () => {
    const h = handlerOn(js.store);
    const ref = { agentId: AGENT, aggregateId: newClient() };
    const c = cause();
    const r = await h.handle(ref, { type: 'Create', name: 'Ann' }, c);
    expect(r.state).toEqual({ status: 'active', name: 'Ann', stage: 'lead' });
    expect(r.events.map((e) => e.id)).toEqual([eventIdFor('ClientCreated', ref.aggregateId, c.causationId)]);
    expect(r.position).toEqual({ stream: 'CRM', seq: r.seq });
    expect(await h.load(ref)).toEqual({ state: r.state, seq: r.seq });
    // The same command again: decided on the new state, so nothing more (and no error).
    await expect(h.handle(ref, { type: 'Create', name: 'Ann' }, c)).rejects.toMatchObject({ code: 'conflict' });
    const none = await h.handle(ref, { type: 'Edit', name: 'Ann' }, cause());
    expect(none).toMatchObject({ events: [], position: null, seq: r.seq });
  });

  it('a second append that loses the race is decided again: both changes are stored (the lost-write bug)', async () => {
    const ref = { agentId: AGENT, aggregateId: newClient() };
    await handlerOn(js.store).handle(ref, { type: 'Create', name: 'Ann' }, cause());
    const store = interfering(js.store, () =>
      newEvent('ClientUpdated', {
        agentId: AGENT,
        aggregateId: ref.aggregateId,
        correlationId: 'other',
        causationId: null,
        data: { changes: { notes: 'concurrent' } },
      }),
    );
    const r = await handlerOn(store).handle(ref, { type: 'Edit', name: 'Ann Lee', stage: 'qualified' }, cause());
    expect(store.fired()).toBe(true);
    const { events } = await js.store.readSubject('CRM', subjects.client(AGENT, ref.aggregateId));
    expect(events.map((e) => e.event.type)).toEqual(['ClientCreated', 'ClientUpdated', 'ClientUpdated', 'ClientStageChanged']);
    expect((await handlerOn(js.store).load(ref)).state).toEqual({ status: 'active', name: 'Ann Lee', stage: 'qualified' });
    expect(r.state).toEqual({ status: 'active', name: 'Ann Lee', stage: 'qualified' });
    expect(r.seq).toBe(events.at(-1)?.seq);
  });

  it('meta.expected_seq (If-Match) must equal the loaded sequence, else precondition_failed and nothing written', async () => {
    const h = handlerOn(js.store);
    const ref = { agentId: AGENT, aggregateId: newClient() };
    const created = await h.handle(ref, { type: 'Create', name: 'Ann' }, cause());
    await expect(h.handle(ref, { type: 'Edit', stage: 'contacted' }, { ...cause(), expectedSeq: created.seq - 1 })).rejects.toMatchObject({
      code: 'precondition_failed',
    });
    expect((await h.load(ref)).seq).toBe(created.seq);
    const ok = await h.handle(ref, { type: 'Edit', stage: 'contacted' }, { ...cause(), expectedSeq: created.seq });
    expect(ok.state).toMatchObject({ stage: 'contacted' });
  });

  it('a duplicate acknowledgement of the very same event is fine (a twin appended it first)', async () => {
    const ref = { agentId: AGENT, aggregateId: newClient() };
    const c = cause();
    // A twin (the same command on another replica) appends our event first, at the same state.
    const twin = newEvent('ClientCreated', {
      id: eventIdFor('ClientCreated', ref.aggregateId, c.causationId),
      agentId: AGENT,
      aggregateId: ref.aggregateId,
      correlationId: 'c',
      causationId: c.causationId,
      data: { ...profile, name: 'Ann', stage: 'lead' },
    });
    const stored = await js.store.append(twin, { expectedLastSubjectSeq: 0 });
    // Our handler loads before the twin's append would be visible to it: simulate with a store whose first read is empty.
    const stale: EventStore = { ...js.store, readSubject: async () => ({ events: [], lastSeq: 0 }) };
    const r = await handlerOn(stale).handle(ref, { type: 'Create', name: 'Ann' }, c);
    expect(r.events).toEqual([]); // we appended nothing ourselves
    expect(r.position).toEqual({ stream: 'CRM', seq: stored.seq });
    expect(r.state).toEqual({ status: 'active', name: 'Ann', stage: 'lead' });
  });

  it('a duplicate acknowledgement of another event is a conflict: decided again, never reported as written', async () => {
    const h = handlerOn(js.store, 3);
    const ref = { agentId: AGENT, aggregateId: newClient() };
    const created = await h.handle(ref, { type: 'Create', name: 'Ann' }, cause());
    const takenId = created.events[0]!.id;
    // An id override that collides with the stored ClientCreated: JetStream says "duplicate".
    const attempt = h.handle(ref, { type: 'Delete' }, { ...cause(), eventId: () => takenId });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    const { events } = await js.store.readSubject('CRM', subjects.client(AGENT, ref.aggregateId));
    expect(events.map((e) => e.event.type)).toEqual(['ClientCreated']);
  });

  it('retries live in the handler and stop after maxAttempts with a ConcurrencyError', async () => {
    const ref = { agentId: AGENT, aggregateId: newClient() };
    await handlerOn(js.store).handle(ref, { type: 'Create', name: 'Ann' }, cause());
    let appends = 0;
    // Every append races with a concurrent writer that always wins.
    const hostile: EventStore = {
      ...js.store,
      async append(event, opts) {
        appends++;
        const { lastSeq } = await js.store.readSubject('CRM', subjects.client(AGENT, ref.aggregateId));
        await js.store.append(
          newEvent('ClientUpdated', {
            agentId: AGENT,
            aggregateId: ref.aggregateId,
            correlationId: 'x',
            causationId: null,
            data: { changes: { notes: String(appends) } },
          }),
          { expectedLastSubjectSeq: lastSeq },
        );
        return js.store.append(event, opts);
      },
    };
    await expect(handlerOn(hostile, 3).handle(ref, { type: 'Edit', stage: 'contacted' }, cause())).rejects.toBeInstanceOf(ConcurrencyError);
    expect(appends).toBe(3);
  });

  it('firstEventTypes: a young aggregate loads from its last message alone, an older one is walked; both fold the same', async () => {
    let walks = 0;
    const counting: EventStore = {
      ...js.store,
      readSubject: (stream, subject) => {
        walks++;
        return js.store.readSubject(stream, subject);
      },
    };
    const fast = createCommandHandler(counting, decider, {
      stream: 'CRM',
      aggregate: 'client',
      firstEventTypes: ['ClientCreated'],
      cacheSize: 0,
    });
    const ref = { agentId: AGENT, aggregateId: newClient() };
    expect(await fast.load(ref)).toEqual({ state: { status: 'absent' }, seq: 0 });
    const created = await fast.handle(ref, { type: 'Create', name: 'Ann' }, cause());
    expect(await fast.load(ref)).toEqual({ state: created.state, seq: created.seq });
    expect(walks).toBe(0); // absent and one-event subjects never walk
    const edited = await fast.handle(ref, { type: 'Edit', stage: 'closed' }, cause());
    expect(await fast.load(ref)).toEqual({ state: edited.state, seq: edited.seq });
    expect(await handlerOn(js.store).load(ref)).toEqual(await fast.load(ref));
    expect(walks).toBeGreaterThan(0);
  });

  it('kept states: an unchanged aggregate loads from its last sequence alone; one written elsewhere reads only the newer events; both fold what a fresh walk folds', async () => {
    const reads = { last: 0, walked: 0 };
    const counting: EventStore = {
      ...js.store,
      readLast: (stream, subject) => {
        reads.last++;
        return js.store.readLast(stream, subject);
      },
      readSubject: async (stream, subject, range) => {
        const r = await js.store.readSubject(stream, subject, range);
        reads.walked += r.events.length;
        return r;
      },
    };
    const kept = createCommandHandler(counting, decider, { stream: 'CRM', aggregate: 'client' });
    const elsewhere = handlerOn(js.store); // another replica, with its own memory
    const ref = { agentId: AGENT, aggregateId: newClient() };
    await kept.handle(ref, { type: 'Create', name: 'Ann' }, cause());
    await kept.handle(ref, { type: 'Edit', stage: 'contacted' }, cause());
    Object.assign(reads, { last: 0, walked: 0 });
    const a = await kept.load(ref);
    expect(reads).toEqual({ last: 1, walked: 0 }); // written here: nothing to walk
    await elsewhere.handle(ref, { type: 'Edit', stage: 'qualified' }, cause());
    await elsewhere.handle(ref, { type: 'Edit', stage: 'negotiating' }, cause());
    Object.assign(reads, { last: 0, walked: 0 });
    const b = await kept.load(ref);
    expect(reads).toEqual({ last: 1, walked: 2 }); // only the two newer events
    expect(b.seq).toBeGreaterThan(a.seq);
    expect(b).toEqual(await createCommandHandler(js.store, decider, { stream: 'CRM', aggregate: 'client', cacheSize: 0 }).load(ref));
    expect(b.state).toMatchObject({ status: 'active', stage: 'negotiating' });
    // A decision on the kept state still expects the real last sequence: a stale memory cannot write.
    const r = await kept.handle(ref, { type: 'Edit', stage: 'closed' }, cause());
    expect(r.state).toMatchObject({ stage: 'closed' });
    expect(await elsewhere.load(ref)).toEqual({ state: r.state, seq: r.seq });
  });

  it('expectNew: a new aggregate is written without a read; one that exists (or a redelivered cause) is read and decided on as it is', async () => {
    const reads = { last: 0 };
    const counting: EventStore = {
      ...js.store,
      readLast: (stream, subject) => {
        reads.last++;
        return js.store.readLast(stream, subject);
      },
    };
    const h = createCommandHandler(counting, decider, { stream: 'CRM', aggregate: 'client', cacheSize: 0 });
    const fresh = { agentId: AGENT, aggregateId: newClient() };
    const c = cause();
    const created = await h.handle(fresh, { type: 'Create', name: 'Ann' }, { ...c, expectNew: true });
    expect(reads.last).toBe(0);
    expect(created.events.map((e) => e.type)).toEqual(['ClientCreated']);
    expect(created.state).toEqual({ status: 'active', name: 'Ann', stage: 'lead' });

    // The same cause again (a redelivery): JetStream says duplicate; the real state decides → conflict, nothing appended.
    await expect(h.handle(fresh, { type: 'Create', name: 'Ann' }, { ...c, expectNew: true })).rejects.toMatchObject({ code: 'conflict' });
    // A new cause on an aggregate that exists: the empty-subject append is refused, then read and decided.
    await h.handle(fresh, { type: 'Edit', stage: 'contacted' }, cause());
    reads.last = 0;
    const edited = await h.handle(fresh, { type: 'Edit', name: 'Ann Lee' }, { ...cause(), expectNew: true });
    expect(reads.last).toBe(1);
    expect(edited.state).toEqual({ status: 'active', name: 'Ann Lee', stage: 'contacted' });
    const { events } = await js.store.readSubject('CRM', subjects.client(AGENT, fresh.aggregateId));
    expect(events.map((e) => e.event.type)).toEqual(['ClientCreated', 'ClientStageChanged', 'ClientUpdated']);
    // Nothing to do on the assumed empty state is not taken as the answer either: Delete reads first.
    const deleted = await h.handle(fresh, { type: 'Delete' }, { ...cause(), expectNew: true });
    expect(deleted.state).toEqual({ status: 'absent' });
  });

  it('deciderSpec reads any decider as given/when/then', () => {
    const spec = deciderSpec(decider);
    const created: EventDraft<ClientEventType> = { type: 'ClientCreated', data: { ...profile, name: 'Ann', stage: 'lead' } };
    spec.given([]).when({ type: 'Create', name: 'Ann' }).then([created]);
    spec.given([created]).when({ type: 'Edit', name: 'Ann', stage: 'lead' }).then([]);
    spec.given([created]).when({ type: 'Create', name: 'Ann' }).thenThrows('conflict');
    expect(() => spec.given([]).when({ type: 'Delete' }).thenThrows('conflict')).toThrow(/expected DomainError conflict, got not_found/);
    expect(() => spec.given([]).when({ type: 'Create', name: 'Ann' }).thenThrows('conflict')).toThrow(/but it decided \["ClientCreated"\]/);
    expect(() => spec.given([created]).when({ type: 'Edit', stage: 'closed' }).then([])).toThrow();
  });
});
