import { execFile } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '@realtoros/contracts';
import { createDb, type Db } from '@realtoros/db';
import { DEAD_LETTER_STREAM, type EventStore, newEvent } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { createTestDatabase, freePort, startJetStream, type TestDatabase, type TestNats, waitFor } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announce } from './live.ts';
import { redriveSubject } from './ops/parked.ts';
import { deadLetterParked } from './parked-dead-letters.ts';
import { PROJECTED_STREAMS, type Projection } from './projection.ts';
import { PROJECTIONS } from './read-models/index.ts';
import { type StreamProjector, startStreamProjector } from './stream-projector.ts';

const log = createLogger('test', 'silent');

/** A read model with a bug the test can fix: it throws (a TypeError) on clients named "flaky…" while `broken`. */
const bug = { broken: true };
const flakyProjection: Projection = {
  name: 'flaky',
  tables: [],
  handles: ['ClientCreated'],
  async apply(_db, event) {
    if (event.type === 'ClientCreated' && bug.broken && event.data.name.startsWith('flaky')) {
      (null as unknown as { crash(): void }).crash();
    }
  },
};
const projections = [...PROJECTIONS, flakyProjection];

const created = (agent: string, client: string, name: string): Envelope =>
  newEvent('ClientCreated', {
    agentId: agent,
    aggregateId: client,
    correlationId: 'poison-test',
    causationId: null,
    data: {
      name,
      email: `${client.slice(-8)}@example.com`,
      phone: null,
      property_address: null,
      property_type: null,
      notes: null,
      custom_fields: {},
      stage: 'lead',
    },
  });
const updated = (agent: string, client: string, phone: string): Envelope =>
  newEvent('ClientUpdated', {
    agentId: agent,
    aggregateId: client,
    correlationId: 'poison-test',
    causationId: null,
    data: { changes: { phone } },
  });
const subjectOf = (agent: string, client: string) => `crm.${agent}.client.${client}`;
/** A ClientCreated whose name holds what `newEvent` (rightly) refuses: built valid, then altered, as a buggy writer would. */
const createdWithName = (agent: string, client: string, name: string) =>
  JSON.stringify({ ...created(agent, client, 'x'), data: { ...created(agent, client, 'x').data, name } });
const report = (type: 'EmailOpened' | 'EmailClicked', agent: string, email: string): Envelope =>
  newEvent(type, {
    agentId: agent,
    aggregateId: email,
    correlationId: 'poison-test',
    causationId: null,
    data: {
      task_id: null,
      client_id: uuidv7(),
      sg_event_id: uuidv7(),
      event: type === 'EmailOpened' ? 'open' : 'click',
      timestamp: new Date().toISOString(),
    },
  });
const failed = (agent: string, email: string, attempts: number): Envelope =>
  newEvent('EmailFailed', {
    agentId: agent,
    aggregateId: email,
    correlationId: 'poison-test',
    causationId: null,
    data: { task_id: null, client_id: uuidv7(), provider: 'sendgrid', reason: 'rejected', attempts },
  });
const mailSubject = (agent: string, email: string) => `mail.${agent}.email.${email}`;

describe('projector poison isolation (real JetStream and Postgres)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  let pg: TestDatabase;
  let projector: StreamProjector;
  let mailProjector: StreamProjector;
  const live: { agent: string; type: string; aggregate_id: string }[] = [];

  /** Appends bytes exactly as given, bypassing every validation (as a foreign or buggy writer would). */
  const appendRaw = async (subject: string, body: string | Uint8Array) => {
    const ack = await store.js.publish(subject, typeof body === 'string' ? new TextEncoder().encode(body) : body, { msgID: uuidv7() });
    return ack.seq;
  };
  const parkedOf = (subject: string) =>
    pg.db
      .selectFrom('projection_parked')
      .select(['seq', 'event_type', 'agent_id', 'reason', 'behind_seq'])
      .where('subject', '=', subject)
      .orderBy('seq')
      .execute();

  beforeAll(async () => {
    ({ nats, nc, store } = await startJetStream(PROJECTED_STREAMS));
    pg = await createTestDatabase();
    const sub = nc.subscribe('live.*');
    (async () => {
      for await (const m of sub) {
        const body = m.json<{ type: string; aggregate_id: string }>();
        live.push({ agent: m.subject.split('.')[1] ?? '', type: body.type, aggregate_id: body.aggregate_id });
      }
    })();
    projector = await startStreamProjector({
      js: store.js,
      db: pg.db,
      stream: 'CRM',
      projections,
      log,
      batchSize: 50,
      onBatch: ({ events }) => announce(nc, 'CRM', events),
      onParked: (parked) => deadLetterParked(store.js, 'CRM', parked),
    });
    mailProjector = await startStreamProjector({
      js: store.js,
      db: pg.db,
      stream: 'MAILER',
      projections,
      log,
      batchSize: 50,
      onBatch: ({ events }) => announce(nc, 'MAILER', events),
      onParked: (parked) => deadLetterParked(store.js, 'MAILER', parked),
    });
  });
  afterAll(async () => {
    await projector?.stop();
    await mailProjector?.stop();
    await pg?.dispose();
    await nc?.close();
    await nats?.dispose();
  });

  it('parks a NUL client and a non-JSON message with their aggregates only; other agents keep flowing within a second', async () => {
    const agentA = uuidv7();
    const agentB = uuidv7();
    const nul = uuidv7();
    const garbled = uuidv7();
    const healthy = uuidv7();

    // Agent A: a ClientCreated whose name holds a NUL (its schema refuses it), then a valid update of that client.
    const nulSeq = await appendRaw(subjectOf(agentA, nul), createdWithName(agentA, nul, 'nul\u0000name'));
    const behindSeq = await appendRaw(subjectOf(agentA, nul), JSON.stringify(updated(agentA, nul, '555-0100')));
    // Agent A: a message that is not JSON at all, on another client's subject.
    const garbledSeq = await appendRaw(subjectOf(agentA, garbled), 'this is not JSON {');
    // Agent A's other client and agent B write normally after the poison.
    const sibling = uuidv7();
    await store.append(created(agentA, sibling, 'Sibling of the poison'));
    const started = Date.now();
    await store.append(created(agentB, healthy, 'Healthy Client'));
    await store.append(updated(agentB, healthy, '555-0199'));

    await waitFor(async () => (await client(pg.db, healthy))?.phone === '555-0199', {
      timeoutMs: 1000,
      what: "agent B's client within a second",
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await client(pg.db, sibling)).toMatchObject({ name: 'Sibling of the poison', agent_id: agentA });

    // Only the poison's own aggregates are parked: the failing event with its reason, the later one behind it.
    expect(await client(pg.db, nul)).toBeUndefined();
    const nulParked = await parkedOf(subjectOf(agentA, nul));
    expect(nulParked).toHaveLength(2);
    expect(nulParked[0]).toMatchObject({ seq: nulSeq, event_type: 'ClientCreated', agent_id: agentA, behind_seq: null });
    expect(nulParked[0]?.reason).toMatch(/ClientCreated data invalid: \/name must not contain NUL/);
    expect(nulParked[1]).toMatchObject({
      seq: behindSeq,
      event_type: 'ClientUpdated',
      behind_seq: nulSeq,
      reason: `waiting behind seq ${nulSeq}`,
    });
    const garbledParked = await parkedOf(subjectOf(agentA, garbled));
    expect(garbledParked).toEqual([
      { seq: garbledSeq, event_type: null, agent_id: agentA, behind_seq: null, reason: expect.stringMatching(/not JSON/) },
    ]);
    expect(await pg.db.selectFrom('projection_parked').select('subject').distinct().execute()).toHaveLength(2);

    // The checkpoint moved past everything: nothing is retried forever, nothing was skipped silently.
    const info = await store.jsm.streams.info('CRM');
    const checkpoint = await pg.db
      .selectFrom('projection_checkpoints')
      .select('last_seq')
      .where('stream', '=', 'CRM')
      .executeTakeFirstOrThrow();
    expect(checkpoint.last_seq).toBe(info.state.last_seq);

    // Live announcements only for what was applied.
    await waitFor(async () => live.some((l) => l.aggregate_id === healthy && l.type === 'ClientUpdated'), { what: 'live announcement' });
    expect(live.filter((l) => l.aggregate_id === nul || l.aggregate_id === garbled)).toEqual([]);
    expect(live.filter((l) => l.aggregate_id === healthy).map((l) => `${l.agent}/${l.type}`)).toEqual([
      `${agentB}/ClientCreated`,
      `${agentB}/ClientUpdated`,
    ]);

    // The failures (not the event waiting behind) are in dead letters, with their reason.
    const dlq = await waitFor(
      async () => {
        const i = await store.jsm.streams.info(DEAD_LETTER_STREAM).catch(() => null);
        return i && i.state.messages >= 2 ? i : null;
      },
      { what: 'dead letters' },
    );
    const letters = [];
    for (let seq = dlq.state.first_seq; seq <= dlq.state.last_seq; seq++)
      letters.push(
        await store.jsm.streams
          .getMessage(DEAD_LETTER_STREAM, { seq })
          .then((m) => m ?? Promise.reject(new Error(`no dead letter #${seq}`))),
      );
    const bySeq = new Map(letters.map((m) => [Number(m.header.get('Dlq-Stream-Seq')), m]));
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual([nulSeq, garbledSeq]);
    expect(bySeq.get(garbledSeq)?.header.get('Dlq-Reason')).toMatch(/not JSON/);
    expect(bySeq.get(nulSeq)?.header.get('Dlq-Consumer')).toBe('projector');

    // A later event of the parked client is parked behind it too, while the stream goes on.
    const laterSeq = await appendRaw(subjectOf(agentA, nul), JSON.stringify(updated(agentA, nul, '555-0101')));
    const afterwards = uuidv7();
    await store.append(created(agentB, afterwards, 'After the poison'));
    await waitFor(async () => client(pg.db, afterwards), { timeoutMs: 1000, what: 'a write after the poison' });
    expect((await parkedOf(subjectOf(agentA, nul))).map((p) => [p.seq, p.behind_seq])).toEqual([
      [nulSeq, null],
      [behindSeq, nulSeq],
      [laterSeq, nulSeq],
    ]);
  });

  it('an email event Postgres cannot store parks only its email, with the SQLSTATE; other emails keep flowing', async () => {
    const agentA = uuidv7();
    const agentB = uuidv7();
    const bad = uuidv7();
    const good = uuidv7();
    // The outcome passes its schema (attempts has no upper bound), but its retry count does not
    // fit the integer column: Postgres refuses it with a data exception (22003). (A NUL would no
    // longer do: the events' text fields refuse it when decoded.)
    const badSeq = await appendRaw(mailSubject(agentA, bad), JSON.stringify(failed(agentA, bad, 3_000_000_000)));
    const behindSeq = await appendRaw(mailSubject(agentA, bad), JSON.stringify(report('EmailClicked', agentA, bad)));
    const started = Date.now();
    await store.append(report('EmailOpened', agentB, good));
    await waitFor(
      async () => (await pg.db.selectFrom('email_logs').select('open_count').where('id', '=', good).executeTakeFirst())?.open_count === 1,
      {
        timeoutMs: 1000,
        what: "another agent's report within a second",
      },
    );
    expect(Date.now() - started).toBeLessThan(1000);
    const parked = await parkedOf(mailSubject(agentA, bad));
    expect(parked.map((p) => [p.seq, p.event_type, p.agent_id, p.behind_seq])).toEqual([
      [badSeq, 'EmailFailed', agentA, null],
      [behindSeq, 'EmailClicked', agentA, badSeq],
    ]);
    expect(parked[0]?.reason).toMatch(/^\[22[0-9A-Z]{3}\] /); // a data exception, with its SQLSTATE
    expect(await pg.db.selectFrom('email_logs').selectAll().where('id', '=', bad).executeTakeFirst()).toBeUndefined();
    expect(await pg.db.selectFrom('email_events').selectAll().where('email_id', '=', bad).execute()).toEqual([]);
  });

  it('redrive after a fix projects the parked aggregate in order; before the fix it stays with its new reason', async () => {
    const agent = uuidv7();
    const flaky = uuidv7();
    const s1 = await appendRaw(subjectOf(agent, flaky), JSON.stringify(created(agent, flaky, 'flaky client')));
    const s2 = await appendRaw(subjectOf(agent, flaky), JSON.stringify(updated(agent, flaky, '555-0001')));
    const s3 = await appendRaw(subjectOf(agent, flaky), JSON.stringify(updated(agent, flaky, '555-0002')));
    await waitFor(async () => (await parkedOf(subjectOf(agent, flaky))).length === 3, { what: 'flaky client parked' });
    const parked = await parkedOf(subjectOf(agent, flaky));
    expect(parked.map((p) => p.seq)).toEqual([s1, s2, s3]);
    expect(parked[0]?.reason).toMatch(/^TypeError: /);

    // Still broken: redrive fails, nothing is applied, the rows stay.
    const again = await redriveSubject(pg.db, projections, 'CRM', subjectOf(agent, flaky));
    expect(again).toMatchObject({ ok: false, seq: s1, remaining: 3 });
    expect(await client(pg.db, flaky)).toBeUndefined();

    // The fix: the same events now project, in sequence order (the last update wins).
    bug.broken = false;
    const fixed = await redriveSubject(pg.db, projections, 'CRM', subjectOf(agent, flaky));
    expect(fixed.ok).toBe(true);
    expect(fixed.ok && fixed.events.map((e) => e.seq)).toEqual([s1, s2, s3]);
    expect(await client(pg.db, flaky)).toMatchObject({ name: 'flaky client', phone: '555-0002', aggregate_seq: s3 });
    expect(await parkedOf(subjectOf(agent, flaky))).toEqual([]);

    // Once redriven, the aggregate flows normally again.
    await store.append(updated(agent, flaky, '555-0003'));
    await waitFor(async () => (await client(pg.db, flaky))?.phone === '555-0003', { what: 'live projection after redrive' });
  });

  it('ops parked / redrive / discard: clear output; poison that still fails stays, replay re-parks it the same, discard drops it', async () => {
    const cli = resolve(import.meta.dirname, 'ops/cli.ts');
    const env = { ...process.env, NATS_URL: nats.url, DATABASE_URL: pg.url, LOG_LEVEL: 'warn' };
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [cli, ...args], { env }).catch((err: { stdout: string; stderr: string; code: number }) => err);

    const listed = await run('parked');
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/3 parked aggregate\(s\):/);
    expect(listed.stdout).toMatch(
      /CRM\s+crm\.\S+\.client\.\S+\n\s+agent=\S+ first_seq=\d+ events=3 since=\S+\n\s+reason: .*must not contain NUL/,
    );
    expect(listed.stdout).toMatch(/MAILER\s+mail\.\S+\.email\.\S+\n\s+agent=\S+ first_seq=\d+ events=2 since=\S+\n\s+reason: \[22/);
    expect(listed.stdout).toMatch(/events=1 since=\S+\n\s+reason: .*not JSON/);

    const redriven = await run('redrive', '--all');
    expect(redriven.stdout).toMatch(/still parked {2}CRM crm\.\S+: seq \d+ failed again \(3 event\(s\) remain\)/);
    expect(redriven.stdout).toMatch(/still parked {2}MAILER mail\.\S+: seq \d+ failed again \(2 event\(s\) remain\)\n\s+reason: \[22/);
    expect((redriven as { code?: number }).code).toBe(1);

    // Replay (while the live projectors run) parks the same poison into its scratch schema and swaps
    // that table in: the same aggregates, the same counts; the redriven client is a plain row now.
    const parkedBefore = await pg.db
      .selectFrom('projection_parked')
      .select(['stream', 'seq', 'subject', 'behind_seq'])
      .orderBy('stream')
      .orderBy('seq')
      .execute();
    const clientsBefore = await pg.db.selectFrom('clients').selectAll().orderBy('id').execute();
    const replayed = await run('replay');
    expect(replayed.stdout).toMatch(/replayed [\d,]+ events .* events\/s/);
    expect(
      await pg.db
        .selectFrom('projection_parked')
        .select(['stream', 'seq', 'subject', 'behind_seq'])
        .orderBy('stream')
        .orderBy('seq')
        .execute(),
    ).toEqual(parkedBefore);
    expect(await pg.db.selectFrom('clients').selectAll().orderBy('id').execute()).toEqual(clientsBefore);

    const rows = await pg.db.selectFrom('projection_parked').select('subject').distinct().execute();
    for (const { subject } of rows)
      expect((await run('discard', subject)).stdout).toMatch(/^discarded \d parked event\(s\) of (crm|mail)\./);
    expect((await run('parked')).stdout).toMatch(/nothing parked/);
    // Discarded events stay in dead letters.
    expect((await run('dead-letters')).stdout).toMatch(/CRM#\d+ consumer=projector reason=.*not JSON/);
  }, 180_000); // six CLI processes: slow when the machine is shared
});

/** A TCP proxy to Postgres that can refuse connections (Postgres unreachable) and then let them through. */
async function startPgProxy(target: {
  host: string;
  port: number;
}): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  return {
    port,
    async open() {
      server = createServer((c) => {
        const up = new Socket();
        sockets.add(c).add(up);
        up.connect(target.port, target.host);
        c.pipe(up).pipe(c);
        const end = () => {
          c.destroy();
          up.destroy();
        };
        c.on('error', end).on('close', end);
        up.on('error', end).on('close', end);
      });
      await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = null;
    },
  };
}

describe('projector with Postgres unreachable', () => {
  it('retries the batch (never parks it) and projects it once Postgres answers again', async () => {
    const js = await startJetStream(['CRM']);
    const pg = await createTestDatabase();
    const url = new URL(pg.url);
    const proxy = await startPgProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    const viaProxy = createDb(url.toString(), { max: 2 });
    // The checkpoint is read at start, so Postgres answers then; it goes away right after.
    await proxy.open();
    const p = await startStreamProjector({ js: js.store.js, db: viaProxy, stream: 'CRM', projections: PROJECTIONS, log });
    try {
      await proxy.close();
      const agent = uuidv7();
      const id = uuidv7();
      await js.store.append(created(agent, id, 'Written while Postgres is down'));
      // Several attempts fail meanwhile (connection refused; backoff 200, 400, 800 ms…).
      await new Promise((r) => setTimeout(r, 2000));
      expect(await pg.db.selectFrom('projection_parked').selectAll().execute()).toEqual([]);
      expect(await client(pg.db, id)).toBeUndefined();

      await proxy.open();
      await waitFor(async () => client(pg.db, id), { timeoutMs: 15_000, what: 'projected after Postgres is back' });
      expect(await pg.db.selectFrom('projection_parked').selectAll().execute()).toEqual([]);
    } finally {
      await p.stop();
      await viaProxy.destroy();
      await proxy.close();
      await pg.dispose();
      await js.dispose();
    }
  });
});

const client = (db: Db, id: string) => db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
