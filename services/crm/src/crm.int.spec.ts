import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  type CommandMeta,
  type CommandName,
  DEFAULT_AGENT_SETTINGS,
  type Envelope,
  foldAgentSettings,
  foldClientFacts,
  subjects,
} from '@realtoros/contracts';
import { type EventStore, newEvent, sendCommand, serveCommands } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { startJetStream, type TestJetStream } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmHandlers } from './handlers.ts';

const log = createLogger('test', 'silent');
const AGENT = '0190a000-0000-7000-8000-000000000001';

/**
 * An event store that lets a test inject one real concurrent write: right after an append
 * caused by `commandId` succeeds, `concurrent` is appended to the same subject, so the
 * command's next append loses the optimistic-concurrency race for real (as when two
 * gateway replicas edit one client at the same moment).
 */
function withConcurrentWriter(store: EventStore) {
  let trap: { when: 'before' | 'after'; commandId: string; concurrent: () => Envelope; fired: boolean } | null = null;
  const wrapped: EventStore = {
    ...store,
    async append(event, opts) {
      const armed = trap && !trap.fired && event.causation_id === trap.commandId ? trap : null;
      if (armed?.when === 'before') {
        // Someone appends between our load and our append: ours must lose and be decided again.
        armed.fired = true;
        await store.append(armed.concurrent(), { expectedLastSubjectSeq: opts?.expectedLastSubjectSeq ?? 0 });
      }
      const r = await store.append(event, opts);
      if (armed?.when === 'after' && !r.duplicate) {
        armed.fired = true;
        await store.append(armed.concurrent(), { expectedLastSubjectSeq: r.seq });
      }
      return r;
    },
  };
  const arm = (when: 'before' | 'after') => (commandId: string, concurrent: () => Envelope) => {
    const t = { when, commandId, concurrent, fired: false };
    trap = t;
    return () => t.fired;
  };
  return { store: wrapped, after: arm('after'), before: arm('before') };
}

describe('crm commands on a real JetStream', () => {
  let js: TestJetStream;
  let sub: Subscription;
  let writer: ReturnType<typeof withConcurrentWriter>;
  beforeAll(async () => {
    js = await startJetStream(['CRM']);
    const kvm = new Kvm(js.nc);
    const clientEmails = await kvm.create('crm_client_emails', { history: 1 });
    const agentEmails = await kvm.create('crm_agent_emails', { history: 1 });
    writer = withConcurrentWriter(js.store);
    sub = serveCommands(js.nc, 'crm', crmHandlers({ nc: js.nc, store: writer.store, clientEmails, agentEmails }), log);
  });
  afterAll(async () => {
    await sub?.drain();
    await js?.dispose();
  });

  const meta = (over: Partial<CommandMeta> = {}): CommandMeta => ({
    command_id: randomUUID(),
    agent_id: AGENT,
    correlation_id: 'test',
    issued_at: new Date().toISOString(),
    ...over,
  });
  const send = (name: CommandName<'crm'>, payload: Record<string, unknown>, m: CommandMeta = meta()) =>
    sendCommand<'crm', CommandName<'crm'>, Record<string, unknown>>(js.nc, 'crm', name, payload as never, m);
  const stored = async (clientId: string) =>
    (await js.store.readSubject('CRM', subjects.client(AGENT, clientId))).events.map((e) => e.event);

  async function createClient(email: string) {
    const r = await send('create_client', { name: 'Ann Lee', email });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.data.id as string;
  }

  it('record_audit (issue 13): one AuditRecorded per command on crm.<agent>.audit; the same command again is the same entry; free text refused', async () => {
    const entry = { action: 'export.clients', ip: '203.0.113.9', user_agent: 'UA', detail: { filters: ['stage'] } };
    const m = meta();
    const first = await send('record_audit', entry, m);
    const again = await send('record_audit', entry, m);
    const other = await send('record_audit', { ...entry, action: 'auth.logged_out' });
    expect(first).toMatchObject({ ok: true });
    expect(again).toMatchObject({ ok: true, data: first.ok ? first.data : {} });
    expect(other.ok).toBe(true);
    const log = (await js.store.readSubject('CRM', subjects.audit(AGENT))).events.map((e) => e.event);
    expect(log.map((e) => [e.type, (e.data as { action: string }).action])).toEqual([
      ['AuditRecorded', 'export.clients'],
      ['AuditRecorded', 'auth.logged_out'],
    ]);
    expect(log[0]).toMatchObject({ aggregate: 'audit', aggregate_id: AGENT, data: entry });
    // `detail` holds keys and counts only: a name or an email is not storable there.
    const refused = await send('record_audit', { ...entry, detail: { q: 'Ann Lee <ann@example.com>' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'validation' } });
  });

  it('regression (issue 12): a PATCH of stage + another field that loses a race keeps the stage change it reported', async () => {
    const clientId = await createClient('lost-write@example.com');
    const m = meta();
    // Another writer edits the notes right after this command's first append.
    const fired = writer.after(m.command_id, () =>
      newEvent('ClientUpdated', {
        agentId: AGENT,
        aggregateId: clientId,
        correlationId: 'someone-else',
        causationId: null,
        data: { changes: { notes: 'called back' } },
      }),
    );
    const r = await send('update_client', { client_id: clientId, changes: { phone: '555-0101', stage: 'qualified' } }, m);
    expect(fired()).toBe(true);
    expect(r).toMatchObject({ ok: true, data: { stage: 'qualified', phone: '555-0101' } });

    // What is stored must say what the API said: every change, the other writer's too.
    const events = await stored(clientId);
    const stages = events.filter((e) => e.type === 'ClientStageChanged').map((e) => (e.data as { to: string }).to);
    expect(stages).toEqual(['qualified']);
    const folded: Record<string, unknown> = {};
    for (const e of events) {
      const d = e.data as { changes?: object; to?: string };
      if (e.type === 'ClientCreated') Object.assign(folded, e.data);
      if (e.type === 'ClientUpdated') Object.assign(folded, d.changes);
      if (e.type === 'ClientStageChanged') Object.assign(folded, d.changes ?? {}, { stage: d.to });
    }
    expect(folded).toMatchObject({ stage: 'qualified', phone: '555-0101', notes: 'called back' });
  });

  const notesBy = (clientId: string, notes: string) => () =>
    newEvent('ClientUpdated', {
      agentId: AGENT,
      aggregateId: clientId,
      correlationId: 'someone-else',
      causationId: null,
      data: { changes: { notes } },
    });

  it('a write that loses the race to a concurrent one is decided again on the new state: both are kept', async () => {
    const clientId = await createClient('race@example.com');
    const m = meta();
    const fired = writer.before(m.command_id, notesBy(clientId, 'left a voicemail'));
    const r = await send('update_client', { client_id: clientId, changes: { phone: '555-0102', stage: 'contacted' } }, m);
    expect(fired()).toBe(true);
    expect(r).toMatchObject({ ok: true, data: { stage: 'contacted', phone: '555-0102', notes: 'left a voicemail' } });
    const events = await stored(clientId);
    expect(events.map((e) => e.type)).toEqual(['ClientCreated', 'ClientUpdated', 'ClientStageChanged']);
    expect(events[2]?.data).toEqual({ from: 'lead', to: 'contacted', changes: { phone: '555-0102' } });
    if (!r.ok) throw new Error('unreachable');
    expect(r.position?.seq).toBe((await js.store.readSubject('CRM', subjects.client(AGENT, clientId))).lastSeq);
  });

  it("If-Match: expected_seq equal to the client's sequence writes; a stale one → precondition_failed and nothing written", async () => {
    const clientId = await createClient('if-match@example.com');
    const { lastSeq } = await js.store.readSubject('CRM', subjects.client(AGENT, clientId));
    const stale = await send('update_client', { client_id: clientId, changes: { stage: 'lost' } }, meta({ expected_seq: lastSeq - 1 }));
    expect(stale).toMatchObject({ ok: false, error: { code: 'precondition_failed' } });
    expect(await stored(clientId)).toHaveLength(1);
    const fresh = await send('update_client', { client_id: clientId, changes: { stage: 'lost' } }, meta({ expected_seq: lastSeq }));
    expect(fresh).toMatchObject({ ok: true, data: { stage: 'lost' } });
    // A concurrent write between the caller's read and our append is a precondition failure too, not a silent overwrite.
    const m = meta({ expected_seq: lastSeq + 1 });
    writer.before(m.command_id, notesBy(clientId, 'edited elsewhere'));
    const lost = await send('delete_client', { client_id: clientId }, m);
    expect(lost).toMatchObject({ ok: false, error: { code: 'precondition_failed' } });
    expect((await stored(clientId)).map((e) => e.type)).toEqual(['ClientCreated', 'ClientStageChanged', 'ClientUpdated']);
  });

  it('a retried command (same command id) appends nothing twice and answers the same client', async () => {
    const m = meta();
    const first = await send('create_client', { name: 'Bo', email: 'retry@example.com' }, m);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const id = first.data.id as string;
    // The create itself, retried (its answer was lost): the same client, not a conflict.
    expect(await send('create_client', { name: 'Bo', email: 'retry@example.com' }, m)).toEqual(first);
    const u = meta();
    const a = await send('update_client', { client_id: id, changes: { stage: 'qualified', notes: 'keen' } }, u);
    const b = await send('update_client', { client_id: id, changes: { stage: 'qualified', notes: 'keen' } }, u);
    expect(a).toMatchObject({ ok: true, data: { stage: 'qualified', notes: 'keen' } });
    expect(b).toMatchObject({ ok: true, data: { stage: 'qualified', notes: 'keen' } });
    expect((await stored(id)).map((e) => e.type)).toEqual(['ClientCreated', 'ClientStageChanged']);
  });

  it('one client per email per agent: a second create with the same email → conflict; deleting frees it', async () => {
    const id = await createClient('unique@example.com');
    expect(await send('create_client', { name: 'Other', email: 'UNIQUE@Example.com' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await send('delete_client', { client_id: id })).toMatchObject({ ok: true, data: { is_deleted: true } });
    expect(await send('create_client', { name: 'Other', email: 'unique@example.com' })).toMatchObject({ ok: true });
  });

  it('update_settings: only what differs is stored, the reply is the whole settings with the write position; a bad window → validation', async () => {
    const agentId = randomUUID();
    const asAgent = (over: Partial<CommandMeta> = {}) => meta({ agent_id: agentId, ...over });
    const agentEvents = async () => (await js.store.readSubject('CRM', subjects.agent(agentId))).events.map((e) => e.event);
    expect(await send('update_settings', { changes: { daily_cap: 20 } }, asAgent())).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const reg = await send('register_agent', { email: `${agentId}@example.com`, name: 'Al', password_hash: 'scrypt$x' }, asAgent());
    expect(reg.ok).toBe(true);

    const r = await send('update_settings', { changes: { daily_cap: 20, window_start: '09:00', time_zone: 'America/Chicago' } }, asAgent());
    expect(r).toEqual({
      ok: true,
      data: { ...DEFAULT_AGENT_SETTINGS, daily_cap: 20, time_zone: 'America/Chicago' },
      position: { stream: 'CRM', seq: (await js.store.readSubject('CRM', subjects.agent(agentId))).lastSeq },
    });
    expect((await agentEvents()).map((e) => [e.type, e.data])).toEqual([
      ['AgentRegistered', expect.anything()],
      ['AgentSettingsChanged', { changes: { daily_cap: 20, time_zone: 'America/Chicago' } }],
    ]);
    expect(foldAgentSettings(await agentEvents())).toEqual(r.ok ? r.data : null);

    // Nothing differs: nothing written, the same answer at the agent's sequence.
    const same = await send('update_settings', { changes: { daily_cap: 20 } }, asAgent());
    expect(same).toEqual(r);
    // The merged window must hold: an end before the stored start.
    const bad = await send('update_settings', { changes: { window_start: '16:00', window_end: '10:00' } }, asAgent());
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation', errors: [{ pointer: '/window_end' }] } });
    // The command's own schema: a cap of 0.
    expect(await send('update_settings', { changes: { daily_cap: 0 } }, asAgent())).toMatchObject({
      ok: false,
      error: { code: 'validation' },
    });
    expect(await agentEvents()).toHaveLength(2);
  });

  it('two replicas, concurrent PATCHes of different fields of one client: every one answers 200 and every change is kept', async () => {
    // A second crm replica in the same queue group, on its own connection.
    const kvm = new Kvm(js.nc);
    const replica = serveCommands(
      js.nc,
      'crm',
      crmHandlers({
        nc: js.nc,
        store: js.store,
        clientEmails: await kvm.open('crm_client_emails'),
        agentEmails: await kvm.open('crm_agent_emails'),
      }),
      log,
    );
    try {
      const clientId = await createClient('busy@example.com');
      const changes = [
        { phone: '555-0111' },
        { notes: 'prefers mornings' },
        { property_address: '1 Elm St' },
        { stage: 'negotiating' },
        { name: 'Ann B. Lee' },
        { property_type: 'commercial' },
      ];
      const replies = await Promise.all(changes.map((c) => send('update_client', { client_id: clientId, changes: c })));
      expect(replies.map((r) => r.ok)).toEqual(changes.map(() => true));
      const facts = foldClientFacts(await stored(clientId));
      if (facts.status === 'absent') throw new Error('client missing');
      const { stage, ...profileChanges } = Object.assign({}, ...changes);
      expect(facts.stage).toBe(stage);
      expect(facts.profile).toMatchObject(profileChanges);
      // One event per command, none lost, none doubled.
      expect((await stored(clientId)).length).toBe(1 + changes.length);
    } finally {
      await replica.drain();
    }
  });
});
