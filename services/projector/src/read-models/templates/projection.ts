import { EVENT_TYPES, EVENTS } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection } from '../../projection.ts';

/**
 * `templates`: each agent's email templates (issue 10), the current version whole — every
 * TemplateCreated / TemplateChanged carries name, subject and body entire, so the row is that
 * event's data; a TemplateDeleted keeps the row (`is_deleted`). A template's events live on
 * one subject (`crm.<agent>.template.<id>`) and apply only when newer than what the row holds
 * (`aggregate_seq`, also the ETag), so re-applying an older event (a lost checkpoint, a
 * replay) changes nothing.
 */
export const templatesProjection: Projection = {
  name: 'templates',
  tables: ['templates'],
  handles: EVENT_TYPES.filter((t) => EVENTS[t].stream === 'CRM' && EVENTS[t].aggregate === 'template'),
  async apply(db, event, pos) {
    const newer = () =>
      db
        .updateTable('templates')
        .where('id', '=', event.aggregate_id)
        .where('agent_id', '=', event.agent_id)
        .where(sql<boolean>`coalesce(aggregate_seq, 0) < ${pos.seq}::bigint`);
    const at = { updated_at: event.occurred_at, aggregate_seq: pos.seq };
    switch (event.type) {
      case 'TemplateCreated': {
        const d = event.data;
        await db
          .insertInto('templates')
          .values({
            id: event.aggregate_id,
            agent_id: event.agent_id,
            name: d.name,
            subject: d.subject,
            body: d.body,
            version: d.version,
            created_at: event.occurred_at,
            ...at,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      }
      case 'TemplateChanged': {
        const d = event.data;
        await newer()
          .set({ name: d.name, subject: d.subject, body: d.body, version: d.version, ...at })
          .execute();
        return;
      }
      case 'TemplateDeleted':
        await newer()
          .set({ is_deleted: true, ...at })
          .execute();
        return;
      default:
        await newer().set({ aggregate_seq: pos.seq }).execute();
        return;
    }
  },
};
