import { zonedToUtc } from '#lib/format.ts';
import { getDb } from '#lib/server/db.ts';
import { listTasks } from '#lib/server/queries.ts';
import { timeZoneOf } from '#lib/server/session.ts';
import { taskActions } from '#lib/server/task-actions.ts';
import type { Actions, PageServerLoad } from './$types';

const LIMIT = 25;
const VIEWS = ['pending', 'due', 'completed', 'skipped', 'failed', 'cancelled'] as const;
type View = (typeof VIEWS)[number];
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export const load: PageServerLoad = async ({ locals, url, cookies }) => {
  const tz = timeZoneOf(cookies);
  const p = url.searchParams;
  const status: View = (VIEWS as readonly string[]).includes(p.get('status') ?? '') ? (p.get('status') as View) : 'pending';
  const from = DATE_RE.test(p.get('from') ?? '') ? p.get('from')! : '';
  const to = DATE_RE.test(p.get('to') ?? '') ? p.get('to')! : '';
  const overdue = p.get('overdue') === '1' && status === 'pending';
  const page = Math.max(1, Number.parseInt(p.get('page') ?? '1', 10) || 1);
  const now = new Date();

  // Days are the agent's days: [from 00:00, to+1 00:00) in their time zone.
  const dueAfter = from ? zonedToUtc(from, tz) : null;
  const toStart = to ? zonedToUtc(to, tz) : null;
  let dueBefore = toStart ? new Date(toStart.getTime() + 24 * 3600e3) : null;
  if (overdue && (!dueBefore || dueBefore > now)) dueBefore = now;
  const range = { due_after: dueAfter?.toISOString(), due_before: dueBefore?.toISOString() };

  const db = getDb();
  const agentId = locals.agent!.id;
  const [result, ...counts] = await Promise.all([
    listTasks(db, agentId, { page, limit: LIMIT, status, ...range }),
    ...VIEWS.map((s) => listTasks(db, agentId, { page: 1, limit: 1, status: s, ...range }).then((r) => r.total)),
  ]);
  return {
    now: now.toISOString(),
    filters: { status, from, to, overdue },
    counts: Object.fromEntries(VIEWS.map((s, i) => [s, counts[i] ?? 0])) as Record<View, number>,
    tasks: result,
  };
};

export const actions: Actions = { ...taskActions };
