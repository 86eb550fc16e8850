import {
  EMAIL_REPORT_EVENTS,
  EMAIL_STATUS_RANK,
  type EmailReportEvent,
  type EmailStatus,
  type Envelope,
  isEmailReportEvent,
} from '@realtoros/contracts';
import { type RawBuilder, sql } from 'kysely';
import { insertRows, type RowUpdate, rounds, updateRows } from '../../many.ts';
import type { Projection, ProjectionDb } from '../../projection.ts';

/** The rank of the row's current status, in SQL (constants only: safe to inline). */
const currentRank = sql.raw(
  `(CASE status ${Object.entries(EMAIL_STATUS_RANK)
    .map(([s, r]) => `WHEN '${s}' THEN ${r}`)
    .join(' ')} ELSE -1 END)`,
);
/** Moves the status to `next` only if that is a step up: a late `delivered` never undoes `bounced`. */
const raise = (next: EmailStatus): RawBuilder<string> =>
  sql<string>`CASE WHEN ${currentRank} >= ${EMAIL_STATUS_RANK[next]} THEN status ELSE ${next} END`;

const WEBHOOK_STATUS: Partial<Record<Envelope['type'], EmailStatus>> = {
  EmailDelivered: 'delivered',
  EmailOpened: 'opened',
  EmailClicked: 'clicked',
  EmailBounced: 'bounced',
  EmailDropped: 'dropped',
  EmailSpamReported: 'spam_reported',
  EmailUnsubscribed: 'unsubscribed',
};

/**
 * `email_logs`: one row per email, from the AI stream (what was written) and the MAILER
 * stream (what happened to it). The two streams are projected independently, so events
 * arrive in either order: every event first makes sure the row exists (insert-or-nothing),
 * then updates only what it knows, with COALESCE/LEAST so nothing known is lost, the status
 * only ever moving up by EMAIL_STATUS_RANK, opened_at/clicked_at set by the earliest open/click,
 * and each webhook report a row of `email_events` (once per `sg_event_id`) counted in the row. The one exception: a resend the agent
 * asked for takes an `unknown` email back to `sending` until its new outcome arrives.
 */
export const emailLogsProjection: Projection = {
  name: 'email_logs',
  tables: ['email_logs', 'email_events'],
  handles: [
    'EmailGenerated',
    'EmailGenerationFailed',
    'EmailAwaitingApproval',
    'EmailApproved',
    'EmailRejected',
    'EmailSent',
    'EmailFailed',
    'EmailSendUnknown',
    'EmailResendRequested',
    'EmailSuppressed',
    ...EMAIL_REPORT_EVENTS,
  ],
  async apply(db, event) {
    // A report makes sure of its own row (applyReports does it for a whole run at once).
    if (isReport(event)) return applyReports(db, [event]);
    await applyUpdates(db, [event]);
  },
  // In rounds (the r-th event of every email, `many.ts`): a round's reports in a few
  // statements (applyReports), its other events in one row-ensuring insert and one update
  // per type (and set of columns). The same SQL as one by one; each email's events in order.
  async applyMany(db, items) {
    for (const round of rounds(items, (i) => i.event.aggregate_id)) {
      const reports: Report[] = [];
      const others: Envelope[] = [];
      for (const { event } of round) {
        if (isReport(event)) reports.push(event);
        else others.push(event);
      }
      if (reports.length) await applyReports(db, reports);
      if (others.length) await applyUpdates(db, others);
    }
  },
};

const taskId = (v: RawBuilder<unknown>) => sql`coalesce(task_id, ${v}::uuid)`;
const earliestCreated = (v: RawBuilder<unknown>) => sql`least(created_at, ${v}::timestamptz)`;
const status = (expr: RawBuilder<string>) => () => expr;

/**
 * Each non-report event's change to its email's row: plain values (assigned as they are) and,
 * per type, the columns set by an expression of their value and the row (`v`: the value as
 * text). One description for the single-row and the multi-row path.
 */
const EXPRS: Partial<Record<Envelope['type'], Record<string, (v: RawBuilder<unknown>) => RawBuilder<unknown>>>> = {
  EmailGenerated: { task_id: taskId, created_at: earliestCreated, status: status(raise('generated')) },
  // The AI's events of one email arrive in order: a row still `generated` here is the one just
  // made for this draft (an approved one would come after). A regenerated draft replaces the
  // text and keeps waiting.
  EmailAwaitingApproval: {
    task_id: taskId,
    created_at: earliestCreated,
    status: status(sql`CASE WHEN status = 'generated' THEN 'awaiting_approval' ELSE status END`),
  },
  // The EmailGenerated that follows carries the final text; the mailer's reports may already have raised it.
  EmailApproved: { status: status(sql`CASE WHEN status = 'awaiting_approval' THEN 'generated' ELSE status END`) },
  EmailRejected: { status: status(sql`CASE WHEN status = 'awaiting_approval' THEN 'rejected' ELSE status END`) },
  EmailGenerationFailed: { status: status(raise('failed')) },
  EmailSent: {
    status: status(raise('sent')),
    sent_at: (v) => sql`coalesce(sent_at, ${v}::timestamptz)`,
    // Null (see changesOf) keeps the row's message id.
    sendgrid_message_id: (v) => sql`coalesce(${v}, sendgrid_message_id)`,
    to_email: (v) => sql`coalesce(to_email, ${v})`,
    // An unknown outcome resolved: its "interrupted…" note no longer applies.
    error_message: status(sql`CASE WHEN status IN ('unknown', 'sending') THEN NULL ELSE error_message END`),
  },
  EmailFailed: { status: status(raise('failed')) },
  // Its note only while it is the news: an outcome or a report already applied wins.
  EmailSendUnknown: {
    status: status(raise('unknown')),
    error_message: (v) => sql`CASE WHEN ${currentRank} <= ${EMAIL_STATUS_RANK.unknown} THEN ${v} ELSE error_message END`,
  },
  // The one step down: the agent had an unknown email sent again. Only from `unknown`
  // (MAILER events of one email arrive in order, so its outcome comes after this).
  EmailResendRequested: {
    status: status(sql`CASE WHEN status = 'unknown' THEN 'sending' ELSE status END`),
    error_message: status(sql`CASE WHEN status = 'unknown' THEN NULL ELSE error_message END`),
  },
  EmailSuppressed: { status: status(raise('suppressed')), to_email: (v) => sql`coalesce(to_email, ${v})` },
};

/**
 * The columns an event sets (values for EXPRS' columns are their input; null where the expression
 * needs none). Values as they are, jsonb ones too (`facts`): `updateRows` JSON-encodes the row.
 */
function changesOf(event: Envelope): Record<string, unknown> | null {
  switch (event.type) {
    case 'EmailGenerated': {
      const d = event.data;
      return {
        subject: d.subject,
        body: d.body,
        to_email: d.to_email,
        provider: d.provider,
        model: d.model,
        task_id: d.task_id,
        created_at: event.occurred_at,
        status: null,
        // Provenance: absent on emails written before it was recorded (kept as it was).
        ...(d.prompt_version !== undefined ? { prompt_version: d.prompt_version } : {}),
        ...(d.fallback_reason !== undefined ? { fallback_reason: d.fallback_reason } : {}),
        ...(d.facts ? { facts: d.facts } : {}),
        ...(d.ai_draft ? { ai_subject: d.ai_draft.subject, ai_body: d.ai_draft.body } : {}),
        ...(d.approval ? { approved_by: d.approval.by, approved_at: d.approval.approved_at } : {}),
      };
    }
    case 'EmailAwaitingApproval': {
      const d = event.data;
      return {
        subject: d.subject,
        body: d.body,
        to_email: d.to_email,
        provider: d.provider,
        model: d.model,
        prompt_version: d.prompt_version,
        fallback_reason: d.fallback_reason,
        facts: d.facts,
        review_reason: d.review_reason,
        review_revision: d.revision,
        task_id: d.task_id,
        created_at: event.occurred_at,
        status: null,
      };
    }
    case 'EmailApproved':
      return { approved_by: event.data.by, approved_at: event.data.approved_at, status: null };
    case 'EmailRejected':
      return { rejected_at: event.data.rejected_at, rejected_reason: event.data.reason, status: null };
    case 'EmailGenerationFailed':
      return { status: null, error_message: event.data.reason };
    case 'EmailSent': {
      const d = event.data;
      return {
        status: null,
        sent_at: d.sent_at,
        // Confirmed after an unknown outcome by the agent (no provider message id is known) or by
        // SendGrid's webhook (its report's message id, when it had one): then the row's stays.
        sendgrid_message_id: d.confirmed_by === 'agent' || (d.confirmed_by && d.message_id === 'unknown') ? null : d.message_id,
        to_email: d.to_email,
        retry_count: Math.max(0, d.attempts - 1),
        error_message: null,
      };
    }
    case 'EmailFailed':
      return { status: null, error_message: event.data.reason, retry_count: Math.max(0, event.data.attempts - 1) };
    case 'EmailSendUnknown':
      return { status: null, error_message: event.data.reason };
    case 'EmailResendRequested':
      return { status: null, error_message: null };
    case 'EmailSuppressed':
      return { status: null, error_message: event.data.reason, to_email: event.data.to_email };
    default:
      return null;
  }
}

/** Non-report events of distinct emails: their rows ensured (one insert), then one update per type. */
async function applyUpdates(db: ProjectionDb, events: readonly Envelope[]): Promise<void> {
  const mine = events.filter((e) => (e.data as { client_id?: string }).client_id);
  if (mine.length === 0) return;
  await ensureRows(
    db,
    mine.map((e) => {
      const data = e.data as { task_id?: string | null; client_id: string };
      return { event: e, clientId: data.client_id, taskId: data.task_id ?? null };
    }),
  );
  const types = new Map<Envelope['type'], RowUpdate[]>();
  for (const e of mine) {
    const set = changesOf(e);
    if (!set) continue;
    const list = types.get(e.type) ?? [];
    list.push({ key: { id: e.aggregate_id }, set });
    types.set(e.type, list);
  }
  for (const [type, rows] of types) await updateRows(db, 'email_logs', rows, { keys: { id: 'uuid' }, exprs: EXPRS[type] ?? {} });
}

type Report = Envelope<EmailReportEvent>;
const isReport = (e: Envelope): e is Report => isEmailReportEvent(e.type);

/** What a run of reports does to one email: the same as applying them one by one, in order. */
type Summary = {
  added: number;
  opens: number;
  clicks: number;
  status: EmailStatus | null;
  delivered: string | null;
  opened: string | null;
  clicked: string | null;
  error: string | null;
};
const earliest = (a: string | null, b: string) => (a === null || Date.parse(b) < Date.parse(a) ? b : a);

/**
 * SendGrid reports (webhook events), one or a whole run: each a row of `email_events`
 * (inserted once per `sg_event_id`: a retried or duplicated report adds nothing), and per
 * email one update of its summary — counters from the rows actually inserted, the status
 * raised to the highest report, delivered/opened/clicked_at the earliest, the last
 * bounce/drop reason. Constant work per report however long an email's history is.
 */
async function applyReports(db: ProjectionDb, reports: Report[]): Promise<void> {
  const mine = reports.filter((e) => e.data.client_id);
  if (mine.length === 0) return;
  await ensureRows(
    db,
    mine.map((e) => ({ event: e, clientId: e.data.client_id, taskId: e.data.task_id ?? null })),
  );

  const summaries = new Map<string, Summary>();
  const summaryOf = (id: string) => {
    const known = summaries.get(id);
    if (known) return known;
    const fresh: Summary = { added: 0, opens: 0, clicks: 0, status: null, delivered: null, opened: null, clicked: null, error: null };
    summaries.set(id, fresh);
    return fresh;
  };
  {
    // As one JSON parameter (insertRows); a duplicate in the same statement is skipped as with VALUES (first wins).
    const inserted = (await insertRows(
      db,
      'email_events',
      mine.map((e) => ({
        email_id: e.aggregate_id,
        agent_id: e.agent_id,
        sg_event_id: e.data.sg_event_id,
        event: e.data.event,
        occurred_at: e.data.timestamp,
        url: e.data.url ?? null,
        reason: e.data.reason ?? null,
      })),
      { conflict: ['email_id', 'sg_event_id'], returning: ['email_id', 'event'] },
    )) as { email_id: string; event: string }[];
    for (const r of inserted) {
      const s = summaryOf(r.email_id);
      s.added++;
      if (r.event === 'open') s.opens++;
      if (r.event === 'click') s.clicks++;
    }
  }
  for (const e of mine) {
    const s = summaryOf(e.aggregate_id);
    const next = WEBHOOK_STATUS[e.type];
    if (next && (s.status === null || EMAIL_STATUS_RANK[next] > EMAIL_STATUS_RANK[s.status])) s.status = next;
    if (e.type === 'EmailDelivered') s.delivered = earliest(s.delivered, e.data.timestamp);
    if (e.type === 'EmailOpened') s.opened = earliest(s.opened, e.data.timestamp);
    if (e.type === 'EmailClicked') s.clicked = earliest(s.clicked, e.data.timestamp);
    if ((e.type === 'EmailBounced' || e.type === 'EmailDropped') && e.data.reason) s.error = e.data.reason;
  }
  // Every email's summary in one statement (the rows of `v`); only duplicates changes nothing.
  const changes = [...summaries]
    .filter(([, s]) => s.added || s.status || s.delivered || s.opened || s.clicked || s.error)
    .map(([id, s]) => ({
      id,
      added: s.added,
      opens: s.opens,
      clicks: s.clicks,
      next_rank: s.status ? EMAIL_STATUS_RANK[s.status] : null,
      next_status: s.status,
      delivered: s.delivered,
      opened: s.opened,
      clicked: s.clicked,
      error: s.error,
    }));
  if (changes.length === 0) return;
  const v = sql`jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) AS v(id uuid, added int, opens int, clicks int, next_rank int, next_status text, delivered timestamptz, opened timestamptz, clicked timestamptz, error text)`;
  await db
    .updateTable('email_logs')
    .from(v as never) // a raw FROM item: the table itself stays schema-scoped by the query builder
    .whereRef('email_logs.id', '=', sql.ref('v.id') as never)
    .set({
      webhook_event_count: sql`webhook_event_count + v.added`,
      open_count: sql`open_count + v.opens`,
      click_count: sql`click_count + v.clicks`,
      status: sql`CASE WHEN v.next_rank IS NULL OR ${currentRank} >= v.next_rank THEN status ELSE v.next_status END`,
      // least() ignores NULLs: an email with no such report keeps what it had.
      delivered_at: sql`least(delivered_at, v.delivered)`,
      opened_at: sql`least(opened_at, v.opened)`,
      clicked_at: sql`least(clicked_at, v.clicked)`,
      error_message: sql`coalesce(v.error, error_message)`,
    })
    .execute();
}

/** Makes sure each email's row exists (insert-or-nothing, one statement), from the first of its events here. */
async function ensureRows(db: ProjectionDb, rows: readonly { event: Envelope; clientId: string; taskId: string | null }[]): Promise<void> {
  const firsts = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!firsts.has(r.event.aggregate_id)) firsts.set(r.event.aggregate_id, r);
  // As one JSON parameter (insertRows): every email event of a batch comes through here.
  await insertRows(
    db,
    'email_logs',
    [...firsts.values()].map(({ event, clientId, taskId }) => ({
      id: event.aggregate_id,
      agent_id: event.agent_id,
      client_id: clientId,
      task_id: taskId,
      status: 'generated',
      created_at: event.occurred_at,
    })),
    { conflict: ['id'] },
  );
}
