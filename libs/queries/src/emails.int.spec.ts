import { createTestDatabase, type TestDatabase } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEmail, LIST_WEBHOOK_EVENTS, listEmails } from './emails.ts';

const agent = uuidv7();
const other = uuidv7();
const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));

describe('emails: full history on the email, a summary in lists (real Postgres)', () => {
  let pg: TestDatabase;
  const busy = uuidv7();
  const quiet = uuidv7();
  beforeAll(async () => {
    pg = await createTestDatabase();
    const email = (id: string, agent_id: string, n: number, opens: number) => ({
      id,
      agent_id,
      client_id: uuidv7(),
      status: 'opened',
      created_at: at(0),
      body: 'Hi',
      webhook_event_count: n,
      open_count: opens,
      click_count: 0,
    });
    await pg.db
      .insertInto('email_logs')
      .values([email(busy, agent, 40, 39), email(quiet, agent, 1, 0)])
      .execute();
    await pg.db
      .insertInto('email_events')
      .values([
        // Inserted out of time order, to show the order comes from the timestamps.
        ...Array.from({ length: 39 }, (_, i) => ({
          email_id: busy,
          agent_id: agent,
          sg_event_id: `o${String(38 - i).padStart(2, '0')}`,
          event: 'open',
          occurred_at: at(38 - i + 2),
          url: null,
          reason: null,
        })),
        { email_id: busy, agent_id: agent, sg_event_id: 'd', event: 'delivered', occurred_at: at(1), url: null, reason: null },
        { email_id: quiet, agent_id: agent, sg_event_id: 'q', event: 'bounce', occurred_at: at(1), url: null, reason: '550 gone' },
      ])
      .execute();
  });
  afterAll(async () => pg?.dispose());

  it('GET /api/emails/{id}: every report in time order, url/reason only when present', async () => {
    const e = await getEmail(pg.db, agent, busy);
    expect(e?.webhook_events).toHaveLength(40);
    expect(e?.webhook_events[0]).toEqual({ sg_event_id: 'd', event: 'delivered', timestamp: at(1).toISOString() });
    expect(e?.webhook_events.map((w) => w.timestamp)).toEqual([...(e?.webhook_events ?? [])].map((w) => w.timestamp).sort());
    expect(e).toMatchObject({ webhook_event_count: 40, open_count: 39, click_count: 0 });
    expect((await getEmail(pg.db, agent, quiet))?.webhook_events).toEqual([
      { sg_event_id: 'q', event: 'bounce', timestamp: at(1).toISOString(), reason: '550 gone' },
    ]);
    expect(await getEmail(pg.db, other, busy)).toBeUndefined();
  });

  it('lists carry the latest reports only (oldest of them first) and the count, so an email stays small', async () => {
    const page = await listEmails(pg.db, agent, { page: 1, limit: 20 });
    const b = page.items.find((i) => i.id === busy);
    expect(b?.webhook_events.map((w) => w.sg_event_id)).toEqual(['o34', 'o35', 'o36', 'o37', 'o38']);
    expect(b?.webhook_events).toHaveLength(LIST_WEBHOOK_EVENTS);
    expect(b?.webhook_event_count).toBe(40);
    expect(page.items.find((i) => i.id === quiet)?.webhook_events.map((w) => w.event)).toEqual(['bounce']);
    expect((await listEmails(pg.db, other, { page: 1, limit: 20 })).items).toEqual([]);
  });
});
