import { getDb } from '#lib/server/db.ts';
import { emailActions } from '#lib/server/email-actions.ts';
import { clientConversation, getClient, listEmails } from '#lib/server/queries.ts';
import { UUID_RE } from '#lib/server/task-actions.ts';
import { EMAIL_STATUSES, isOneOf } from '#lib/vocab.ts';
import type { Actions, PageServerLoad } from './$types';

const LIMIT = 20;

export const load: PageServerLoad = async ({ locals, url }) => {
  const p = url.searchParams;
  const status = isOneOf(EMAIL_STATUSES, p.get('status')) ? p.get('status')! : '';
  const clientId = UUID_RE.test(p.get('client_id') ?? '') ? p.get('client_id')! : '';
  const page = Math.max(1, Number.parseInt(p.get('page') ?? '1', 10) || 1);
  const db = getDb();
  const agentId = locals.agent!.id;
  const [emails, client, conversation] = await Promise.all([
    listEmails(db, agentId, { page, limit: LIMIT, status: status || undefined, client_id: clientId || undefined } as Parameters<
      typeof listEmails
    >[2]),
    clientId ? getClient(db, agentId, clientId) : Promise.resolve(undefined),
    // One client's emails read as a thread too: what was sent and what they answered.
    clientId ? clientConversation(db, agentId, clientId, 100) : Promise.resolve([]),
  ]);
  return {
    now: new Date().toISOString(),
    filters: { status, client_id: clientId },
    client: client ? { id: client.id, name: client.name } : null,
    conversation: client ? conversation : [],
    emails,
  };
};

export const actions: Actions = { ...emailActions };
