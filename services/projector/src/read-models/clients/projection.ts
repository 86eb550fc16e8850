import { EVENT_TYPES, EVENTS, type EventType } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection } from '../../projection.ts';

/** Every event stored on a client's own subject (`crm.<agent>.client.<id>`), today's and future ones. */
const CLIENT_EVENTS: EventType[] = EVENT_TYPES.filter((t) => EVENTS[t].stream === 'CRM' && EVENTS[t].aggregate === 'client');

/**
 * `clients`: the client profile as the CRM decided it (its own `time_zone` too: ClientCreated,
 * and ClientUpdated / ClientStageChanged changes, which name the columns they set), plus
 * contact facts from the mailer. ClientCreated's `plan_id` is the scheduler's business (the
 * enrolment it leads to is the `enrollments` read model), not a column.
 * Every event on the client's subject sets `aggregate_seq` (the ETag / expected subject
 * sequence), including ones this read model otherwise ignores, so it never lags the stream.
 */
export const clientsProjection: Projection = {
  name: 'clients',
  tables: ['clients'],
  handles: [...CLIENT_EVENTS, 'EmailSent', 'ClientReplied'],
  async apply(db, event, pos) {
    // Monotonic, so re-applying an older event (a lost checkpoint) never moves the ETag back.
    // Also monotonic: an older event applied again never makes the row look older.
    const touched = { updated_at: sql<Date>`greatest(updated_at, ${event.occurred_at}::timestamptz)` };
    const seq = { aggregate_seq: sql<number>`greatest(coalesce(aggregate_seq, 0), ${pos.seq}::bigint)` };
    switch (event.type) {
      case 'ClientCreated': {
        const d = event.data;
        await db
          .insertInto('clients')
          .values({
            id: event.aggregate_id,
            agent_id: event.agent_id,
            name: d.name,
            email: d.email,
            phone: d.phone,
            property_address: d.property_address,
            property_type: d.property_type,
            stage: d.stage,
            notes: d.notes,
            custom_fields: JSON.stringify(d.custom_fields),
            time_zone: d.time_zone ?? null,
            aggregate_seq: pos.seq,
            created_at: event.occurred_at,
            updated_at: event.occurred_at,
            // An EmailSent projected from the other stream before this event still counts. A query-builder
            // subquery (not raw SQL), so during `ops replay` it reads the scratch schema's email_logs.
            last_contacted: db
              .selectFrom('email_logs')
              .select((eb) => eb.fn.max('sent_at').as('last'))
              .where('client_id', '=', event.aggregate_id)
              .where('sent_at', 'is not', null),
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      }
      case 'ClientUpdated': {
        const { custom_fields, ...rest } = event.data.changes;
        await db
          .updateTable('clients')
          .set({
            ...rest,
            ...(custom_fields !== undefined ? { custom_fields: JSON.stringify(custom_fields) } : {}),
            ...seq,
            ...touched,
          })
          .where('id', '=', event.aggregate_id)
          .execute();
        return;
      }
      case 'ClientStageChanged': {
        // A PATCH that moved the stage carries its other field changes too (crm: one event per command).
        const { custom_fields, ...rest } = event.data.changes ?? {};
        await db
          .updateTable('clients')
          .set({
            ...rest,
            ...(custom_fields !== undefined ? { custom_fields: JSON.stringify(custom_fields) } : {}),
            stage: event.data.to,
            ...seq,
            ...touched,
          })
          .where('id', '=', event.aggregate_id)
          .execute();
        return;
      }
      case 'ClientDeleted':
        await db
          .updateTable('clients')
          .set({ is_deleted: true, ...seq, ...touched })
          .where('id', '=', event.aggregate_id)
          .execute();
        return;
      case 'ClientUnsubscribed':
        await db
          .updateTable('clients')
          .set({ unsubscribed: true, ...seq, ...touched })
          .where('id', '=', event.aggregate_id)
          .execute();
        return;
      case 'EmailSent':
        await db
          .updateTable('clients')
          .set({ last_contacted: sql`greatest(last_contacted, ${event.data.sent_at}::timestamptz)` })
          .where('id', '=', event.data.client_id)
          .execute();
        return;
      case 'ActivityLogged':
        // The agent talked to the client: that is contact, as an email sent is.
        await db
          .updateTable('clients')
          .set({ last_contacted: sql`greatest(last_contacted, ${event.data.logged_at}::timestamptz)`, ...seq, ...touched })
          .where('id', '=', event.aggregate_id)
          .execute();
        return;
      case 'ClientReplied':
        // On the MAILER stream: not the client's ETag. An auto-reply is nobody answering.
        if (event.data.auto_reply !== null) return;
        await db
          .updateTable('clients')
          .set({ replied_at: sql`greatest(replied_at, ${event.data.received_at}::timestamptz)` })
          .where('id', '=', event.data.client_id)
          .where('agent_id', '=', event.agent_id)
          .execute();
        return;
      default:
        // An event on the client's subject that changes nothing shown here still moves its ETag.
        if (event.aggregate === 'client') await db.updateTable('clients').set(seq).where('id', '=', event.aggregate_id).execute();
        return;
    }
  },
};
