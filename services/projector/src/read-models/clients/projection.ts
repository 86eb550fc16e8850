import { type Envelope, EVENT_TYPES, EVENTS, type EventData, type EventType, tagKey } from '@realtoros/contracts';
import { type RawBuilder, sql } from 'kysely';
import { byType, type RowUpdate, rounds, type SetExpr, updateRows } from '../../many.ts';
import type { EventPosition, ProjectedEvent, Projection, ProjectionDb } from '../../projection.ts';

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
  apply: applyOne,
  applyMany,
};

const TOUCHED = {
  updated_at: (v: RawBuilder<unknown>) => sql`greatest(updated_at, ${v}::timestamptz)`,
  aggregate_seq: (v: RawBuilder<unknown>) => sql`greatest(coalesce(aggregate_seq, 0), ${v}::bigint)`,
};
const CONTACTED = { last_contacted: (v: RawBuilder<unknown>) => sql`greatest(last_contacted, ${v}::timestamptz)` };

/**
 * A profile change as columns: `tags` (issue 10) brings `tag_keys` with it, the lower-cased
 * tags `?tag=` compares (the same `tagKey` the query applies to the filter). Live and replay,
 * one row and many, all set them through here.
 */
function withTagKeys<C extends Partial<EventData<'ClientCreated'>>>(changes: C): C & { tag_keys?: string[] } {
  return changes.tags === undefined ? changes : { ...changes, tag_keys: changes.tags.map(tagKey) };
}

/** The client row an event concerns: its own subject's, or the one the mailer names. */
const clientOf = (event: Envelope) =>
  event.type === 'EmailSent' || event.type === 'ClientReplied' ? event.data.client_id : event.aggregate_id;

function createdRow(db: ProjectionDb, event: Envelope, pos: EventPosition) {
  if (event.type !== 'ClientCreated') return null;
  const d = event.data;
  return {
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
    tags: d.tags ?? [],
    tag_keys: (d.tags ?? []).map(tagKey),
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
    // Likewise a reply projected first (the MAILER stream ran ahead of CRM).
    replied_at: db
      .selectFrom('replies')
      .select((eb) => eb.fn.max('received_at').as('last'))
      .where('agent_id', '=', event.agent_id)
      .where('client_id', '=', event.aggregate_id)
      .where('auto_reply', 'is', null),
  };
}

/**
 * The batch's share in a few statements, exactly as one by one in order: in rounds (the r-th
 * event of every client, `many.ts`), a round's ClientCreated in one multi-row insert and its
 * profile, stage, delete, unsubscribe, activity, sent and reply events in one update per type
 * (and set of columns), with the same expressions as the single-row path.
 */
async function applyMany(db: ProjectionDb, items: readonly ProjectedEvent[]): Promise<void> {
  for (const round of rounds(items, (i) => clientOf(i.event))) {
    for (const [type, list] of byType(round)) {
      const at = (event: Envelope, pos: EventPosition) => ({ updated_at: event.occurred_at, aggregate_seq: pos.seq });
      const update = (rows: RowUpdate[], exprs: Record<string, SetExpr>, keys: Record<string, string> = { id: 'uuid' }) =>
        updateRows(db, 'clients', rows, { keys, exprs });
      switch (type) {
        case 'ClientCreated': {
          // The rows without the per-row subquery, then the emails already sent to the ones
          // actually inserted in one grouped read (the same value: this transaction's email_logs).
          const rows = list.flatMap(({ event, pos }) => {
            const row = createdRow(db, event, pos);
            return row ? [{ ...row, last_contacted: null, replied_at: null }] : [];
          });
          for (let i = 0; i < rows.length; i += 500) {
            const chunk = rows.slice(i, i + 500);
            const inserted = await db
              .insertInto('clients')
              .values(chunk)
              .onConflict((oc) => oc.column('id').doNothing())
              .returning(['id', 'agent_id'])
              .execute();
            if (inserted.length === 0) continue;
            const sent = db
              .selectFrom('email_logs')
              .select(['client_id', (eb) => eb.fn.max('sent_at').as('last')])
              // agent_id first: the (agent_id, client_id) index serves it
              .where('agent_id', 'in', [...new Set(inserted.map((r) => r.agent_id))])
              .where(
                'client_id',
                'in',
                inserted.map((r) => r.id),
              )
              .where('sent_at', 'is not', null)
              .groupBy('client_id')
              .as('m');
            await db
              .updateTable('clients')
              .from(sent)
              .set((eb) => ({ last_contacted: eb.ref('m.last') }))
              .whereRef('clients.id', '=', 'm.client_id')
              .execute();
            const replied = db
              .selectFrom('replies')
              .select(['client_id', (eb) => eb.fn.max('received_at').as('last')])
              .where('agent_id', 'in', [...new Set(inserted.map((r) => r.agent_id))])
              .where(
                'client_id',
                'in',
                inserted.map((r) => r.id),
              )
              .where('auto_reply', 'is', null)
              .groupBy('client_id')
              .as('r');
            await db
              .updateTable('clients')
              .from(replied)
              .set((eb) => ({ replied_at: eb.ref('r.last') }))
              .whereRef('clients.id', '=', 'r.client_id')
              .execute();
          }
          break;
        }
        case 'ClientUpdated':
        case 'ClientStageChanged':
        case 'ClientDeleted':
        case 'ClientUnsubscribed':
          await update(
            list.map(({ event, pos }) => ({
              key: { id: event.aggregate_id },
              set:
                event.type === 'ClientUpdated'
                  ? // values as they are (custom_fields an object, tags an array): updateRows JSON-encodes the row itself
                    { ...withTagKeys(event.data.changes), ...at(event, pos) }
                  : event.type === 'ClientStageChanged'
                    ? { ...withTagKeys(event.data.changes ?? {}), stage: event.data.to, ...at(event, pos) }
                    : event.type === 'ClientDeleted'
                      ? { is_deleted: true, ...at(event, pos) }
                      : { unsubscribed: true, ...at(event, pos) },
            })),
            TOUCHED,
          );
          break;
        case 'EmailSent':
          await update(
            list.flatMap(({ event }) =>
              event.type === 'EmailSent' ? [{ key: { id: event.data.client_id }, set: { last_contacted: event.data.sent_at } }] : [],
            ),
            CONTACTED,
          );
          break;
        case 'ActivityLogged':
          await update(
            list.flatMap(({ event, pos }) =>
              event.type === 'ActivityLogged'
                ? [{ key: { id: event.aggregate_id }, set: { last_contacted: event.data.logged_at, ...at(event, pos) } }]
                : [],
            ),
            { ...CONTACTED, ...TOUCHED },
          );
          break;
        case 'ClientReplied':
          await update(
            list.flatMap(({ event }) =>
              event.type === 'ClientReplied' && event.data.auto_reply === null
                ? [{ key: { id: event.data.client_id, agent_id: event.agent_id }, set: { replied_at: event.data.received_at } }]
                : [],
            ),
            { replied_at: (v) => sql`greatest(replied_at, ${v}::timestamptz)` },
            { id: 'uuid', agent_id: 'uuid' },
          );
          break;
        default:
          for (const { event, pos } of list) await applyOne(db, event, pos);
      }
    }
  }
}

async function applyOne(db: ProjectionDb, event: Envelope, pos: EventPosition): Promise<void> {
  {
    // Monotonic, so re-applying an older event (a lost checkpoint) never moves the ETag back.
    // Also monotonic: an older event applied again never makes the row look older.
    const touched = { updated_at: sql<Date>`greatest(updated_at, ${event.occurred_at}::timestamptz)` };
    const seq = { aggregate_seq: sql<number>`greatest(coalesce(aggregate_seq, 0), ${pos.seq}::bigint)` };
    switch (event.type) {
      case 'ClientCreated': {
        const row = createdRow(db, event, pos);
        if (row)
          await db
            .insertInto('clients')
            .values(row)
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
        return;
      }
      case 'ClientUpdated': {
        const { custom_fields, ...rest } = withTagKeys(event.data.changes);
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
        const { custom_fields, ...rest } = withTagKeys(event.data.changes ?? {});
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
  }
}
