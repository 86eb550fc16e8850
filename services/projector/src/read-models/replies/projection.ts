import type { Projection } from '../../projection.ts';

/**
 * `replies`: each client's replies, with the email they answer (the conversation is these
 * and `email_logs`); `inbound_unmatched`: what matched nobody, for ops. Both keyed by the
 * message's inbound id, so a message posted again is one row.
 */
export const repliesProjection: Projection = {
  name: 'replies',
  tables: ['replies', 'inbound_unmatched'],
  handles: ['ClientReplied', 'InboundUnmatched'],
  async apply(db, event) {
    if (event.type === 'ClientReplied') {
      const d = event.data;
      await db
        .insertInto('replies')
        .values({
          inbound_id: d.inbound_id,
          agent_id: event.agent_id,
          client_id: d.client_id,
          email_id: d.email_id,
          matched_by: d.matched_by,
          from_email: d.from_email,
          from_name: d.from_name,
          subject: d.subject,
          text: d.text,
          auto_reply: d.auto_reply,
          attachments: JSON.stringify(d.attachments),
          received_at: d.received_at,
        })
        .onConflict((oc) => oc.column('inbound_id').doNothing())
        .execute();
      return;
    }
    if (event.type === 'InboundUnmatched') {
      const d = event.data;
      await db
        .insertInto('inbound_unmatched')
        .values({
          inbound_id: d.inbound_id,
          reason: d.reason,
          from_email: d.from_email,
          to_address: d.to,
          subject: d.subject,
          message_id: d.message_id,
          received_at: d.received_at,
        })
        .onConflict((oc) => oc.column('inbound_id').doNothing())
        .execute();
    }
  },
};
