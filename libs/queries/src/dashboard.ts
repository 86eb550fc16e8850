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

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

type Summary = {
  stages: { stage: string; n: number }[];
  tasks: {
    status: string;
    n: number;
    today: number | null;
    before_today: number | null;
    held_daily_cap: number | null;
    held_paused: number | null;
  }[];
  emails: { status: string; n: number; sent: number; reported: number; opened: number; clicked: number }[];
  days: { day: string; sent: number; opened: number; clicked: number }[];
  overdue_today: number;
  sent_week_edge: number;
};

/**
 * The dashboard's KPIs for one agent at `now` (passed in, so "today" and "overdue" are
 * testable). Days are UTC days. "sent" counts every email that left (whatever happened to it
 * later); delivered/opened/clicked count emails, not events.
 *
 * One statement, one connection: the counts come from the dashboard summary the projector
 * keeps (services/projector/src/read-models/dashboard-summary: per agent, clients per stage,
 * tasks per status × UTC day × held reason, emails per status and per UTC day), a few hundred
 * small rows instead of the agent's every task and email. The two figures whose edge falls
 * inside a day are finished from the rows themselves, over that one day only: overdue =
 * open tasks of the days before today + today's open tasks before `now` (an index range of
 * tasks_agent_status_idx); sent this week = sends of the days after the one 7 × 24 h ago + that
 * day's sends since then (a range of email_logs_agent_sent_idx).
 */
export async function dashboardStats(db: Db, agentId: string, now: Date): Promise<DashboardStats> {
  const today = dayStart(now);
  const first = new Date(today.getTime() - 29 * DAY_MS);
  const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
  const weekEdge = new Date(dayStart(weekAgo).getTime() + DAY_MS);
  const [todayDay, firstDay, weekAgoDay] = [isoDay(today), isoDay(first), isoDay(weekAgo)];
  const agent = sql`${agentId}::uuid`;
  const { rows } = await sql<Summary>`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('stage', stage, 'n', n)), '[]')
        FROM dashboard_client_counts WHERE agent_id = ${agent}) AS stages,
      (SELECT coalesce(json_agg(t), '[]') FROM (
        SELECT status, sum(n)::int AS n,
          (sum(n) FILTER (WHERE day = ${todayDay}::date))::int AS today,
          (sum(n) FILTER (WHERE day < ${todayDay}::date))::int AS before_today,
          (sum(n) FILTER (WHERE held = 'daily_cap'))::int AS held_daily_cap,
          (sum(n) FILTER (WHERE held = 'paused'))::int AS held_paused
        FROM dashboard_task_counts WHERE agent_id = ${agent} GROUP BY status) AS t) AS tasks,
      (SELECT coalesce(json_agg(e), '[]') FROM (
        SELECT status, n, sent, reported, opened, clicked FROM dashboard_email_counts WHERE agent_id = ${agent}) AS e) AS emails,
      (SELECT coalesce(json_agg(json_build_object('day', to_char(day, 'YYYY-MM-DD'), 'sent', sent, 'opened', opened, 'clicked', clicked)), '[]')
        FROM dashboard_email_days WHERE agent_id = ${agent} AND day >= ${firstDay}::date) AS days,
      (SELECT count(*)::int FROM tasks WHERE agent_id = ${agent} AND status IN ('pending', 'due')
        AND scheduled_for >= ${today}::timestamptz AND scheduled_for < ${now}::timestamptz) AS overdue_today,
      (SELECT count(*)::int FROM email_logs WHERE agent_id = ${agent}
        AND sent_at >= ${weekAgo}::timestamptz AND sent_at < ${weekEdge}::timestamptz) AS sent_week_edge`.execute(db);
  const summary = rows[0];
  if (!summary) throw new Error('dashboard summary: no row');
  const { stages, tasks, emails, days } = summary;

  const byStage = Object.fromEntries(CLIENT_STAGES.map((s) => [s, 0])) as Record<ClientStage, number>;
  for (const r of stages) if (r.stage in byStage) byStage[r.stage as ClientStage] = Number(r.n);
  const n = (v: unknown) => Number(v ?? 0);
  const sum = <R>(rows: R[], pick: (r: R) => unknown, where: (r: R) => boolean = () => true) =>
    rows.reduce((a, r) => a + (where(r) ? n(pick(r)) : 0), 0);
  const isOpen = (r: { status: string }) => r.status === 'pending' || r.status === 'due';
  const isStatus =
    (...statuses: string[]) =>
    (r: { status: string }) =>
      statuses.includes(r.status);
  const perDay = new Map(days.map((d) => [d.day, d]));
  const e = {
    sent: sum(emails, (r) => r.sent),
    failed: sum(emails, (r) => r.n, isStatus('failed')),
    // status says delivered (or later), else a delivered/open report says so.
    delivered:
      sum(emails, (r) => r.n, isStatus(...DELIVERED)) +
      sum(
        emails,
        (r) => r.reported,
        (r) => !DELIVERED.includes(r.status),
      ),
    opened: sum(emails, (r) => r.opened),
    clicked: sum(emails, (r) => r.clicked),
    bounced: sum(emails, (r) => r.n, isStatus('bounced')),
    // Days compare as 'YYYY-MM-DD' text; later days too (a send stamped ahead of the clock counts, as it did).
    sent_this_week:
      sum(
        days,
        (d) => d.sent,
        (d) => d.day > weekAgoDay,
      ) + n(summary.sent_week_edge),
  };
  const pending = isStatus('pending');
  return {
    clients_total: Object.values(byStage).reduce((a, b) => a + b, 0),
    clients_by_stage: byStage,
    tasks: {
      pending: sum(tasks, (r) => r.n, pending),
      due_today: sum(tasks, (r) => r.today, isOpen),
      overdue: sum(tasks, (r) => r.before_today, isOpen) + n(summary.overdue_today),
      completed: sum(tasks, (r) => r.n, isStatus('completed')),
      failed: sum(tasks, (r) => r.n, isStatus('failed')),
    },
    emails: e,
    held: { daily_cap: sum(tasks, (r) => r.held_daily_cap, pending), paused: sum(tasks, (r) => r.held_paused, pending) },
    open_rate: ratio(e.opened, e.sent),
    click_rate: ratio(e.clicked, e.sent),
    daily: Array.from({ length: 30 }, (_, i) => {
      const date = isoDay(new Date(first.getTime() + i * DAY_MS));
      const d = perDay.get(date);
      return { date, sent: n(d?.sent), opened: n(d?.opened), clicked: n(d?.clicked) };
    }),
  };
}
