import { EMAIL_STATUS_RANK, type EmailStatus, type Envelope } from '@realtoros/contracts';
import { type RawBuilder, sql } from 'kysely';
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
    'EmailSent',
    'EmailFailed',
    'EmailSendUnknown',
    'EmailResendRequested',
    'EmailSuppressed',
    'EmailDelivered',
    'EmailOpened',
    'EmailClicked',
    'EmailBounced',
    'EmailDropped',
    'EmailSpamReported',
    'EmailUnsubscribed',
    'EmailWebhookRecorded',
  ],
  async apply(db, event) {
    const data = event.data as { task_id?: string | null; client_id?: string };
    if (!data.client_id) return;
    await ensureRow(db, event, data.client_id, data.task_id ?? null);
    const row = db.updateTable('email_logs').where('id', '=', event.aggregate_id);
    switch (event.type) {
      case 'EmailGenerated': {
        const d = event.data;
        await row
          .set({
            subject: d.subject,
            body: d.body,
            to_email: d.to_email,
            provider: d.provider,
            model: d.model,
            task_id: sql`coalesce(task_id, ${d.task_id}::uuid)`,
            created_at: sql`least(created_at, ${event.occurred_at}::timestamptz)`,
            status: raise('generated'),
          })
          .execute();
        return;
      }
      case 'EmailGenerationFailed':
        await row.set({ status: raise('failed'), error_message: event.data.reason }).execute();
        return;
      case 'EmailSent': {
        const d = event.data;
        await row
          .set({
            status: raise('sent'),
            sent_at: sql`coalesce(sent_at, ${d.sent_at}::timestamptz)`,
            // Confirmed after an unknown outcome by the agent (no provider message id is known) or by
            // SendGrid's webhook (its report's message id, when it had one).
            sendgrid_message_id:
              d.confirmed_by === 'agent' || (d.confirmed_by && d.message_id === 'unknown') ? sql`sendgrid_message_id` : d.message_id,
            to_email: sql`coalesce(to_email, ${d.to_email})`,
            retry_count: Math.max(0, d.attempts - 1),
            // An unknown outcome resolved: its "interrupted…" note no longer applies.
            error_message: sql`CASE WHEN status IN ('unknown', 'sending') THEN NULL ELSE error_message END`,
          })
          .execute();
        return;
      }
      case 'EmailFailed':
        await row
          .set({ status: raise('failed'), error_message: event.data.reason, retry_count: Math.max(0, event.data.attempts - 1) })
          .execute();
        return;
      case 'EmailSendUnknown':
        // Its note only while it is the news: an outcome or a report already applied wins.
        await row
          .set({
            status: raise('unknown'),
            error_message: sql`CASE WHEN ${currentRank} <= ${EMAIL_STATUS_RANK.unknown} THEN ${event.data.reason} ELSE error_message END`,
          })
          .execute();
        return;
      case 'EmailResendRequested':
        // The one step down: the agent had an unknown email sent again. Only from `unknown`
        // (MAILER events of one email arrive in order, so its outcome comes after this).
        await row
          .set({
            status: sql`CASE WHEN status = 'unknown' THEN 'sending' ELSE status END`,
            error_message: sql`CASE WHEN status = 'unknown' THEN NULL ELSE error_message END`,
          })
          .execute();
        return;
      case 'EmailSuppressed':
        await row
          .set({ status: raise('suppressed'), error_message: event.data.reason, to_email: sql`coalesce(to_email, ${event.data.to_email})` })
          .execute();
        return;
      case 'EmailDelivered':
      case 'EmailOpened':
      case 'EmailClicked':
      case 'EmailBounced':
      case 'EmailDropped':
      case 'EmailSpamReported':
      case 'EmailUnsubscribed':
      case 'EmailWebhookRecorded': {
        const d = event.data;
        const next = WEBHOOK_STATUS[event.type];
        // One row per report (a retried or duplicated report inserts nothing), and the email's
        // summary in the same statement: constant work per event, however long the history.
        await db
          .with('ins', (qc) =>
            qc
              .insertInto('email_events')
              .values({
                email_id: event.aggregate_id,
                agent_id: event.agent_id,
                sg_event_id: d.sg_event_id,
                event: d.event,
                occurred_at: d.timestamp,
                url: d.url ?? null,
                reason: d.reason ?? null,
              })
              .onConflict((oc) => oc.columns(['email_id', 'sg_event_id']).doNothing())
              .returning('event'),
          )
          .updateTable('email_logs')
          .where('id', '=', event.aggregate_id)
          .set({
            webhook_event_count: sql`webhook_event_count + (SELECT count(*) FROM ins)`,
            open_count: sql`open_count + (SELECT count(*) FROM ins WHERE ins.event = 'open')`,
            click_count: sql`click_count + (SELECT count(*) FROM ins WHERE ins.event = 'click')`,
            ...(next ? { status: raise(next) } : {}),
            ...(event.type === 'EmailDelivered' ? { delivered_at: sql`least(delivered_at, ${d.timestamp}::timestamptz)` } : {}),
            ...(event.type === 'EmailOpened' ? { opened_at: sql`least(opened_at, ${d.timestamp}::timestamptz)` } : {}),
            ...(event.type === 'EmailClicked' ? { clicked_at: sql`least(clicked_at, ${d.timestamp}::timestamptz)` } : {}),
            ...((event.type === 'EmailBounced' || event.type === 'EmailDropped') && d.reason ? { error_message: d.reason } : {}),
          })
          .execute();
        return;
      }
      default:
        return;
    }
  },
};

async function ensureRow(db: ProjectionDb, event: Envelope, clientId: string, taskId: string | null): Promise<void> {
  await db
    .insertInto('email_logs')
    .values({
      id: event.aggregate_id,
      agent_id: event.agent_id,
      client_id: clientId,
      task_id: taskId,
      status: 'generated',
      created_at: event.occurred_at,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
