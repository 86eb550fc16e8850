import { CLIENT_STAGES, type ClientStage } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { sql } from 'kysely';

export type DashboardStats = {
  clients_total: number;
  clients_by_stage: Record<ClientStage, number>;
  tasks: { pending: number; due_today: number; overdue: number; completed: number; failed: number };
  emails: { sent: number; failed: number; delivered: number; opened: number; clicked: number; bounced: number; sent_this_week: number };
  /** opened / sent, 0..1 (0 when nothing was sent). */
  open_rate: number;
  click_rate: number;
  /** Pending steps held back now, by why: the daily cap of automated emails, a paused enrolment. */
  held: { daily_cap: number; paused: number };
  /** The last 30 UTC days, oldest first, today last. */
  daily: { date: string; sent: number; opened: number; clicked: number }[];
};

const DAY_MS = 86_400_000;
const dayStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
/** Statuses that mean the email reached the inbox (or later). */
const DELIVERED: string[] = ['delivered', 'opened', 'clicked', 'spam_reported', 'unsubscribed'];
const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : 0);

/**
 * The dashboard's KPIs for one agent, computed from the read models at `now` (passed in,
 * so "today" and "overdue" are testable). Days are UTC days. "sent" counts every email that
 * left (whatever happened to it later); delivered/opened/clicked count emails, not events.
 */
export async function dashboardStats(db: Db, agentId: string, now: Date): Promise<DashboardStats> {
  const today = dayStart(now);
  const tomorrow = new Date(today.getTime() + DAY_MS);
  const first = new Date(today.getTime() - 29 * DAY_MS);
  const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
  const [stages, tasks, emails, daily] = await Promise.all([
    db
      .selectFrom('clients')
      .select(['stage', (eb) => eb.fn.countAll<number>().as('n')])
      .where('agent_id', '=', agentId)
      .where('is_deleted', '=', false)
      .groupBy('stage')
      .execute(),
    // One row per status, from an index-only scan of tasks_agent_status_idx (agent_id, status,
    // scheduled_for) INCLUDE (held_reason): no heap, and no per-row FILTER over every status.
    db
      .selectFrom('tasks')
      .select([
        'status',
        sql<number>`count(*)::int`.as('n'),
        sql<number>`(count(*) FILTER (WHERE scheduled_for >= ${today} AND scheduled_for < ${tomorrow}))::int`.as('today'),
        sql<number>`(count(*) FILTER (WHERE scheduled_for < ${now}))::int`.as('before_now'),
        sql<number>`(count(*) FILTER (WHERE held_reason = 'daily_cap'))::int`.as('held_daily_cap'),
        sql<number>`(count(*) FILTER (WHERE held_reason = 'paused'))::int`.as('held_paused'),
      ])
      .where('agent_id', '=', agentId)
      .groupBy('status')
      .execute(),
    // One row per status, from an index-only scan of email_logs_agent_sent_idx (agent_id,
    // sent_at) INCLUDE (status, opened_at, clicked_at, delivered_at).
    db
      .selectFrom('email_logs')
      .select([
        'status',
        sql<number>`count(*)::int`.as('n'),
        sql<number>`count(sent_at)::int`.as('sent'),
        sql<number>`(count(*) FILTER (WHERE opened_at IS NOT NULL OR delivered_at IS NOT NULL))::int`.as('reported'),
        sql<number>`count(opened_at)::int`.as('opened'),
        sql<number>`count(clicked_at)::int`.as('clicked'),
        sql<number>`(count(*) FILTER (WHERE sent_at >= ${weekAgo}))::int`.as('sent_this_week'),
      ])
      .where('agent_id', '=', agentId)
      .groupBy('status')
      .execute(),
    // The 30 days at once: the window's sends, opens and clicks (sends by a range of
    // email_logs_agent_sent_idx, opens and clicks by an index-only scan of the agent's entries in
    // it), bucketed into the series' own 24-hour steps from `first` by date_bin — bucket d holds
    // [d, d + 24 hours), as each day did. timestamptz throughout: the result doesn't depend on
    // the session's time zone.
    sql<{ day: string; sent: number; opened: number; clicked: number }>`
      SELECT to_char(d.day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
        coalesce(c.sent, 0) AS sent, coalesce(c.opened, 0) AS opened, coalesce(c.clicked, 0) AS clicked
      FROM generate_series(${first}::timestamptz, ${today}::timestamptz, interval '24 hours') AS d(day)
      LEFT JOIN (
        SELECT date_bin(interval '24 hours', t.at, ${first}::timestamptz) AS day,
          (count(*) FILTER (WHERE t.kind = 's'))::int AS sent,
          (count(*) FILTER (WHERE t.kind = 'o'))::int AS opened,
          (count(*) FILTER (WHERE t.kind = 'c'))::int AS clicked
        FROM (
          SELECT 's' AS kind, sent_at AS at FROM email_logs
            WHERE agent_id = ${agentId} AND sent_at >= ${first}::timestamptz AND sent_at < ${tomorrow}::timestamptz
          UNION ALL
          SELECT 'o', opened_at FROM email_logs
            WHERE agent_id = ${agentId} AND opened_at >= ${first}::timestamptz AND opened_at < ${tomorrow}::timestamptz
          UNION ALL
          SELECT 'c', clicked_at FROM email_logs
            WHERE agent_id = ${agentId} AND clicked_at >= ${first}::timestamptz AND clicked_at < ${tomorrow}::timestamptz
        ) AS t
        GROUP BY 1
      ) c ON c.day = d.day
      ORDER BY d.day`.execute(db),
  ]);

  const byStage = Object.fromEntries(CLIENT_STAGES.map((s) => [s, 0])) as Record<ClientStage, number>;
  for (const r of stages) if (r.stage in byStage) byStage[r.stage as ClientStage] = Number(r.n);
  const n = (v: unknown) => Number(v ?? 0);
  const sum = <R>(rows: R[], pick: (r: R) => unknown, where: (r: R) => boolean = () => true) =>
    rows.reduce((a, r) => a + (where(r) ? n(pick(r)) : 0), 0);
  const isOpen = (r: { status: string }) => r.status === 'pending' || r.status === 'due';
  const isStatus = (...statuses: string[]) => (r: { status: string }) => statuses.includes(r.status);
  const e = {
    sent: sum(emails, (r) => r.sent),
    failed: sum(emails, (r) => r.n, isStatus('failed')),
    // status says delivered (or later), else a delivered/open report says so.
    delivered:
      sum(emails, (r) => r.n, isStatus(...DELIVERED)) + sum(emails, (r) => r.reported, (r) => !DELIVERED.includes(r.status)),
    opened: sum(emails, (r) => r.opened),
    clicked: sum(emails, (r) => r.clicked),
    bounced: sum(emails, (r) => r.n, isStatus('bounced')),
    sent_this_week: sum(emails, (r) => r.sent_this_week),
  };
  const pending = isStatus('pending');
  return {
    clients_total: Object.values(byStage).reduce((a, b) => a + b, 0),
    clients_by_stage: byStage,
    tasks: {
      pending: sum(tasks, (r) => r.n, pending),
      due_today: sum(tasks, (r) => r.today, isOpen),
      overdue: sum(tasks, (r) => r.before_now, isOpen),
      completed: sum(tasks, (r) => r.n, isStatus('completed')),
      failed: sum(tasks, (r) => r.n, isStatus('failed')),
    },
    emails: e,
    held: { daily_cap: sum(tasks, (r) => r.held_daily_cap, pending), paused: sum(tasks, (r) => r.held_paused, pending) },
    open_rate: ratio(e.opened, e.sent),
    click_rate: ratio(e.clicked, e.sent),
    daily: daily.rows.map((r) => ({ date: r.day, sent: n(r.sent), opened: n(r.opened), clicked: n(r.clicked) })),
  };
}
