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
  const open = sql`status IN ('pending', 'due')`;

  const [stages, tasks, emails, daily] = await Promise.all([
    db
      .selectFrom('clients')
      .select(['stage', (eb) => eb.fn.countAll<number>().as('n')])
      .where('agent_id', '=', agentId)
      .where('is_deleted', '=', false)
      .groupBy('stage')
      .execute(),
    db
      .selectFrom('tasks')
      .select([
        sql<number>`count(*) FILTER (WHERE status = 'pending')`.as('pending'),
        sql<number>`count(*) FILTER (WHERE ${open} AND scheduled_for >= ${today} AND scheduled_for < ${tomorrow})`.as('due_today'),
        sql<number>`count(*) FILTER (WHERE ${open} AND scheduled_for < ${now})`.as('overdue'),
        sql<number>`count(*) FILTER (WHERE status = 'completed')`.as('completed'),
        sql<number>`count(*) FILTER (WHERE status = 'failed')`.as('failed'),
        sql<number>`count(*) FILTER (WHERE status = 'pending' AND held_reason = 'daily_cap')`.as('held_daily_cap'),
        sql<number>`count(*) FILTER (WHERE status = 'pending' AND held_reason = 'paused')`.as('held_paused'),
      ])
      .where('agent_id', '=', agentId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('email_logs')
      .select([
        sql<number>`count(*) FILTER (WHERE sent_at IS NOT NULL)`.as('sent'),
        sql<number>`count(*) FILTER (WHERE status = 'failed')`.as('failed'),
        sql<number>`count(*) FILTER (WHERE status IN ('delivered', 'opened', 'clicked', 'spam_reported', 'unsubscribed') OR opened_at IS NOT NULL OR delivered_at IS NOT NULL)`.as(
          'delivered',
        ),
        sql<number>`count(*) FILTER (WHERE opened_at IS NOT NULL)`.as('opened'),
        sql<number>`count(*) FILTER (WHERE clicked_at IS NOT NULL)`.as('clicked'),
        sql<number>`count(*) FILTER (WHERE status = 'bounced')`.as('bounced'),
        sql<number>`count(*) FILTER (WHERE sent_at >= ${weekAgo})`.as('sent_this_week'),
      ])
      .where('agent_id', '=', agentId)
      .executeTakeFirstOrThrow(),
    // timestamptz and exact 24-hour steps: the result doesn't depend on the session's time zone.
    sql<{ day: string; sent: number; opened: number; clicked: number }>`
      SELECT to_char(d.day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
        (SELECT count(*) FROM email_logs WHERE agent_id = ${agentId} AND sent_at >= d.day AND sent_at < d.day + interval '24 hours')::int AS sent,
        (SELECT count(*) FROM email_logs WHERE agent_id = ${agentId} AND opened_at >= d.day AND opened_at < d.day + interval '24 hours')::int AS opened,
        (SELECT count(*) FROM email_logs WHERE agent_id = ${agentId} AND clicked_at >= d.day AND clicked_at < d.day + interval '24 hours')::int AS clicked
      FROM generate_series(${first}::timestamptz, ${today}::timestamptz, interval '24 hours') AS d(day)
      ORDER BY d.day`.execute(db),
  ]);

  const byStage = Object.fromEntries(CLIENT_STAGES.map((s) => [s, 0])) as Record<ClientStage, number>;
  for (const r of stages) if (r.stage in byStage) byStage[r.stage as ClientStage] = Number(r.n);
  const n = (v: unknown) => Number(v ?? 0);
  const e = {
    sent: n(emails.sent),
    failed: n(emails.failed),
    delivered: n(emails.delivered),
    opened: n(emails.opened),
    clicked: n(emails.clicked),
    bounced: n(emails.bounced),
    sent_this_week: n(emails.sent_this_week),
  };
  return {
    clients_total: Object.values(byStage).reduce((a, b) => a + b, 0),
    clients_by_stage: byStage,
    tasks: {
      pending: n(tasks.pending),
      due_today: n(tasks.due_today),
      overdue: n(tasks.overdue),
      completed: n(tasks.completed),
      failed: n(tasks.failed),
    },
    emails: e,
    held: { daily_cap: n(tasks.held_daily_cap), paused: n(tasks.held_paused) },
    open_rate: ratio(e.opened, e.sent),
    click_rate: ratio(e.clicked, e.sent),
    daily: daily.rows.map((r) => ({ date: r.day, sent: n(r.sent), opened: n(r.opened), clicked: n(r.clicked) })),
  };
}
