import { createTestDatabase, type TestDatabase } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countDashboardSummary } from '../../../services/projector/src/read-models/dashboard-summary/projection.ts';
import { dashboardStats } from './dashboard.ts';

const NOW = new Date('2026-11-21T15:00:00Z');
const ago = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);

describe('dashboardStats', () => {
  let pg: TestDatabase;
  const agent = uuidv7();
  const other = uuidv7();
  beforeAll(async () => {
    pg = await createTestDatabase();
    const client = (agent_id: string, stage: string, is_deleted = false) => ({
      id: uuidv7(),
      agent_id,
      name: 'C',
      email: `${uuidv7()}@example.com`,
      stage,
      custom_fields: '{}',
      created_at: NOW,
      updated_at: NOW,
      is_deleted,
    });
    await pg.db
      .insertInto('clients')
      .values([client(agent, 'lead'), client(agent, 'lead'), client(agent, 'closed'), client(agent, 'lead', true), client(other, 'lead')])
      .execute();
    const task = (agent_id: string, status: string, scheduled_for: Date, held_reason: string | null = null) => ({
      id: uuidv7(),
      agent_id,
      client_id: uuidv7(),
      followup_type: 'Day 1',
      scheduled_for,
      status,
      priority: 'high',
      created_at: NOW,
      updated_at: NOW,
      version: 1,
      held_reason,
    });
    await pg.db
      .insertInto('tasks')
      .values([
        task(agent, 'pending', ago(-3)), // later today
        task(agent, 'pending', ago(-48)), // in two days
        task(agent, 'pending', ago(20)), // yesterday: overdue
        task(agent, 'due', ago(1)), // today, waiting for its email: due today and overdue
        task(agent, 'completed', ago(30)),
        task(agent, 'failed', ago(30)),
        task(other, 'pending', ago(1)),
        // Held back: by the daily cap (two), by a paused plan (one); another agent's.
        task(agent, 'pending', ago(-20), 'daily_cap'),
        task(agent, 'pending', ago(-44), 'daily_cap'),
        task(agent, 'pending', ago(-60), 'paused'),
        task(other, 'pending', ago(-20), 'daily_cap'),
      ])
      .execute();
    const email = (
      agent_id: string,
      status: string,
      sent: Date | null,
      extra: { opened_at?: Date; clicked_at?: Date; delivered_at?: Date } = {},
    ) => ({
      id: uuidv7(),
      agent_id,
      client_id: uuidv7(),
      status,
      created_at: sent ?? NOW,
      sent_at: sent,
      ...extra,
    });
    await pg.db
      .insertInto('email_logs')
      .values([
        email(agent, 'clicked', ago(2), { opened_at: ago(1.5), clicked_at: ago(1) }),
        email(agent, 'opened', ago(26), { opened_at: ago(2) }),
        email(agent, 'sent', ago(24 * 10), { delivered_at: ago(240) }), // delivered, though a later report (e.g. deferred) left status at sent
        email(agent, 'bounced', ago(24 * 40)),
        email(agent, 'failed', null),
        email(agent, 'generated', null),
        email(other, 'opened', ago(1), { opened_at: ago(1) }),
      ])
      .execute();
    // Rows written straight into the read models: count them into the summary as the projector would.
    await countDashboardSummary(pg.db, 'all');
  });
  afterAll(async () => pg?.dispose());

  it('counts one agent only, by stage, task state and email outcome, with rates and a 30-day series', async () => {
    const s = await dashboardStats(pg.db, agent, NOW);
    expect(s.clients_total).toBe(3);
    expect(s.clients_by_stage).toEqual({ lead: 2, contacted: 0, qualified: 0, negotiating: 0, under_contract: 0, closed: 1, lost: 0 });
    expect(s.tasks).toEqual({ pending: 6, due_today: 2, overdue: 2, completed: 1, failed: 1 });
    expect(s.held).toEqual({ daily_cap: 2, paused: 1 });
    expect(s.emails).toEqual({ sent: 4, failed: 1, delivered: 3, opened: 2, clicked: 1, bounced: 1, sent_this_week: 2 });
    expect(s.open_rate).toBe(0.5);
    expect(s.click_rate).toBe(0.25);
    expect(s.daily).toHaveLength(30);
    expect(s.daily[0]?.date).toBe('2026-10-23');
    expect(s.daily.at(-1)).toEqual({ date: '2026-11-21', sent: 1, opened: 2, clicked: 1 });
    expect(s.daily.at(-2)).toEqual({ date: '2026-11-20', sent: 1, opened: 0, clicked: 0 });
    expect(s.daily.reduce((n, d) => n + d.sent, 0)).toBe(3); // the 40-day-old one is outside the window
  });

  it('pins the edges: day boundaries of the series (UTC, [start, start + 24 h)), today after now, held tasks no longer pending, delivered by status alone', async () => {
    const edge = uuidv7();
    const first = new Date('2026-10-23T00:00:00Z');
    const tomorrow = new Date('2026-11-22T00:00:00Z');
    const at = (iso: string) => new Date(iso);
    const email = (status: string, sent_at: Date | null, extra: { opened_at?: Date; clicked_at?: Date; delivered_at?: Date } = {}) => ({
      id: uuidv7(),
      agent_id: edge,
      client_id: uuidv7(),
      status,
      created_at: sent_at ?? NOW,
      sent_at,
      ...extra,
    });
    await pg.db
      .insertInto('email_logs')
      .values([
        email('sent', first), // the first day's first instant: in
        email('sent', new Date(first.getTime() - 1)), // the day before the series: out of it (still sent)
        email('sent', at('2026-11-20T23:59:59.999Z')), // yesterday's last instant
        email('sent', at('2026-11-21T23:00:00Z')), // later today (after now): today
        email('sent', tomorrow), // tomorrow: out of the series
        email('delivered', at('2026-11-01T12:00:00Z'), { opened_at: at('2026-10-31T23:59:00Z'), clicked_at: tomorrow }), // opened the day before it was sent (clock skew): counted where it says
        email('opened', null, { opened_at: at('2026-11-21T00:00:00Z') }), // an open without a send time
        email('spam_reported', at('2026-11-10T00:00:00Z')), // delivered by status alone
        email('sent', at('2026-11-14T15:00:00Z')), // 7 × 24 h before now exactly: this week
        email('sent', at('2026-11-14T14:59:59.999Z')), // a millisecond earlier, the same day: not this week
      ])
      .execute();
    const task = (status: string, scheduled_for: Date, held_reason: string | null = null) => ({
      id: uuidv7(),
      agent_id: edge,
      client_id: uuidv7(),
      followup_type: 'Day 1',
      scheduled_for,
      status,
      priority: 'high',
      created_at: NOW,
      updated_at: NOW,
      version: 1,
      held_reason,
    });
    await pg.db
      .insertInto('tasks')
      .values([
        task('pending', at('2026-11-21T00:00:00Z')), // today's first instant: due today, overdue
        task('due', tomorrow), // tomorrow's first instant: neither
        task('pending', NOW), // now exactly: due today, not overdue
        task('completed', ago(1), 'daily_cap'), // held once, no longer pending: not held
        task('skipped', ago(1)), // neither open nor counted by status
      ])
      .execute();
    await countDashboardSummary(pg.db, { agentId: edge });
    const s = await dashboardStats(pg.db, edge, NOW);
    expect(s.tasks).toEqual({ pending: 2, due_today: 2, overdue: 1, completed: 1, failed: 0 });
    expect(s.held).toEqual({ daily_cap: 0, paused: 0 });
    expect(s.emails).toEqual({ sent: 9, failed: 0, delivered: 3, opened: 2, clicked: 1, bounced: 0, sent_this_week: 4 });
    const day = (date: string) => s.daily.find((d) => d.date === date);
    expect(s.daily[0]).toEqual({ date: '2026-10-23', sent: 1, opened: 0, clicked: 0 });
    expect(day('2026-10-31')).toEqual({ date: '2026-10-31', sent: 0, opened: 1, clicked: 0 });
    expect(day('2026-11-01')).toEqual({ date: '2026-11-01', sent: 1, opened: 0, clicked: 0 });
    expect(day('2026-11-20')).toEqual({ date: '2026-11-20', sent: 1, opened: 0, clicked: 0 });
    expect(day('2026-11-14')).toEqual({ date: '2026-11-14', sent: 2, opened: 0, clicked: 0 });
    expect(s.daily.at(-1)).toEqual({ date: '2026-11-21', sent: 1, opened: 1, clicked: 0 });
    expect(s.daily.reduce((n, d) => n + d.sent, 0)).toBe(7);
  });

  it('answers zeros, not NaN, for a new agent', async () => {
    const s = await dashboardStats(pg.db, uuidv7(), NOW);
    expect(s.open_rate).toBe(0);
    expect(s.emails.sent).toBe(0);
    expect(s.daily.every((d) => d.sent === 0)).toBe(true);
    expect(s.held).toEqual({ daily_cap: 0, paused: 0 });
  });
});
