import { createTestDatabase, type TestDatabase } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageTotal } from './rows.ts';
import { listTasks } from './tasks.ts';

describe('a page and its total come from one snapshot (real Postgres)', () => {
  let pg: TestDatabase;
  beforeAll(async () => {
    pg = await createTestDatabase();
  });
  afterAll(async () => {
    await pg?.dispose();
  });

  it('while tasks are being written, every page holds as many items as its total says', async () => {
    const agent = uuidv7();
    const client = uuidv7();
    const at = new Date('2026-11-29T12:00:00Z');
    let writing = true;
    // Rows appear one per statement, as the projector commits them, while pages are read.
    const writer = (async () => {
      for (let i = 0; writing && i < 2000; i++) {
        await pg.db
          .insertInto('tasks')
          .values({
            id: uuidv7(),
            agent_id: agent,
            client_id: client,
            followup_type: 'Custom',
            scheduled_for: at,
            status: 'pending',
            priority: 'low',
            notes: null,
            email_sent_id: null,
            created_at: at,
            updated_at: at,
            completed_at: null,
            failure_reason: null,
            version: 1,
          })
          .execute();
      }
    })();
    const mismatches: string[] = [];
    for (let i = 0; i < 300; i++) {
      const page = await listTasks(pg.db, agent, { page: 1, limit: 100 });
      if (page.items.length !== Math.min(page.total, 100)) mismatches.push(`total ${page.total}, items ${page.items.length}`);
    }
    writing = false;
    await writer;
    expect(mismatches).toEqual([]);
    // Past the last page: no rows, the total still counted.
    const beyond = await listTasks(pg.db, agent, { page: 1000, limit: 100 });
    expect(beyond.items).toEqual([]);
    expect(beyond.total).toBeGreaterThan(0);
  });

  it('an empty first page says total 0 from its own statement, not from a second count that sees rows committed since', async () => {
    const agent = uuidv7();
    const at = new Date('2026-11-29T12:00:00Z');
    const base = pg.db.selectFrom('tasks').where('agent_id', '=', agent);
    // The page's statement ran before the projector committed this row; the row is there now.
    await pg.db
      .insertInto('tasks')
      .values({ id: uuidv7(), agent_id: agent, client_id: uuidv7(), followup_type: 'Custom', scheduled_for: at, status: 'pending', priority: 'low', notes: null, email_sent_id: null, created_at: at, updated_at: at, completed_at: null, failure_reason: null, version: 1 })
      .execute();
    expect(await pageTotal([], base, 0)).toEqual({ rows: [], total: 0 });
    expect(await pageTotal([], base, 100)).toEqual({ rows: [], total: 1 });
  });
});
