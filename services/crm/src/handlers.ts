import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventType } from '@realtoros/contracts';
import {
  type CommandContext,
  type CommandHandlers,
  type CommandResult,
  createCommandHandler,
  DomainError,
  deterministicId,
  eventIdFor,
  type EventStore,
  type HandleOptions,
  type HandleResult,
  newEvent,
} from '@realtoros/messaging';
import { agentDecider } from './agent/agent.ts';
import { type ClientState, toClientView } from './client/client.ts';
import { clientDecider } from './client/decide.ts';
import { importDecider } from './import/import.ts';
import { templateDecider, toTemplateView } from './template/template.ts';
import { claim, release, uniqueKey } from './uniqueness/unique-registry.ts';

export type CrmDeps = { nc: NatsConnection; store: EventStore; clientEmails: KV; agentEmails: KV; now?: () => Date };

const EMAIL_TAKEN = 'A client with this email already exists.';

/**
 * crm command handlers, thin: each builds a decider command and hands it to the one command
 * path (libs/messaging createCommandHandler: load → decide → append expecting the loaded
 * sequence, decided again when a concurrent writer wins). The only I/O of their own is the
 * unique-email claim, which needs a KV bucket.
 */
export function crmHandlers(deps: CrmDeps): CommandHandlers<'crm'> {
  const now = deps.now ?? (() => new Date());
  const clients = createCommandHandler(deps.store, clientDecider, { stream: 'CRM', aggregate: 'client' });
  const agents = createCommandHandler(deps.store, agentDecider, { stream: 'CRM', aggregate: 'agent' });
  const imports = createCommandHandler(deps.store, importDecider, { stream: 'CRM', aggregate: 'import', cacheSize: 0 });
  const templates = createCommandHandler(deps.store, templateDecider, { stream: 'CRM', aggregate: 'template' });

  /** The command's identity, its time, and its `If-Match` (expected_seq), when it has one. */
  const causedBy = (ctx: CommandContext): HandleOptions<EventType> => ({
    correlationId: ctx.meta.correlation_id,
    causationId: ctx.meta.command_id,
    traceparent: ctx.traceparent,
    occurredAt: now(),
    expectedSeq: ctx.meta.expected_seq,
  });
  const clientRef = (ctx: CommandContext, clientId: string) => ({ agentId: ctx.meta.agent_id, aggregateId: clientId });

  const emailHolder = (agentId: string, email: string) => async (ownerId: string) => {
    const { state } = await clients.load({ agentId, aggregateId: ownerId });
    if (state.status === 'absent') return 'unknown' as const;
    return state.status === 'active' && state.profile.email === email.trim().toLowerCase() ? ('holds' as const) : ('released' as const);
  };

  /** The client as it now stands and the aggregate's sequence (the gateway waits for it: read your writes). */
  const result = (r: HandleResult<ClientState>): CommandResult<unknown> => ({
    data: toClientView(r.state),
    position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null),
  });

  return {
    // The audit log (issue 13) only grows: no decider, no load. One append without an expected
    // sequence (entries don't depend on each other); the id derives from the command id, so a
    // retried command is JetStream's duplicate, one entry.
    async record_audit(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const event = newEvent('AuditRecorded', {
        id: eventIdFor('AuditRecorded', agentId, ctx.meta.command_id),
        agentId,
        aggregateId: agentId,
        data: p,
        correlationId: ctx.meta.correlation_id,
        causationId: ctx.meta.command_id,
        occurredAt: now(),
      });
      const ack = await deps.store.append(event, { traceparent: ctx.traceparent });
      return { data: { id: event.id }, position: { stream: 'CRM', seq: ack.seq } };
    },

    async register_agent(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const key = uniqueKey('agent', p.email);
      await claim(
        deps.agentEmails,
        key,
        agentId,
        async (owner) => ((await agents.load({ agentId: owner, aggregateId: owner })).state.status === 'registered' ? 'holds' : 'unknown'),
        'An account with this email already exists.',
        '/email',
      );
      try {
        const r = await agents.handle({ agentId, aggregateId: agentId }, { type: 'RegisterAgent', data: p }, causedBy(ctx));
        if (r.state.status !== 'registered') throw new Error('agent not registered after RegisterAgent');
        return {
          data: { id: agentId, email: r.state.email, name: r.state.name, created_at: r.state.createdAt },
          position: { stream: 'CRM', seq: r.seq },
        };
      } catch (err) {
        await release(deps.agentEmails, key, agentId);
        throw err;
      }
    },

    async update_settings(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const r = await agents.handle({ agentId, aggregateId: agentId }, { type: 'ChangeSettings', data: p }, causedBy(ctx));
      if (r.state.status !== 'registered') throw new DomainError('not_found', 'agent not found');
      // The settings as they now stand; nothing changed (or a retry) still answers the
      // agent's last sequence, so the caller reads the settings that are stored.
      return { data: r.state.settings, position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null) };
    },

    async rename_agent(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const r = await agents.handle({ agentId, aggregateId: agentId }, { type: 'RenameAgent', data: p }, causedBy(ctx));
      if (r.state.status !== 'registered') throw new DomainError('not_found', 'agent not found');
      return {
        data: { id: agentId, email: r.state.email, name: r.state.name, created_at: r.state.createdAt },
        position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null),
      };
    },

    async create_client(p, ctx) {
      const clientId = deterministicId('client', ctx.meta.command_id);
      // The id derives from the command id, so an existing client IS this command, retried
      // (a timed-out request sent again with its Idempotency-Key): answer it, don't refuse it.
      const existing = await clients.load(clientRef(ctx, clientId));
      if (existing.state.status !== 'absent')
        return result({ before: existing.state, state: existing.state, events: [], seq: existing.seq, position: null });
      const key = uniqueKey(ctx.meta.agent_id, p.email);
      await claim(deps.clientEmails, key, clientId, emailHolder(ctx.meta.agent_id, p.email), EMAIL_TAKEN, '/email');
      try {
        // Just read as absent: the append expects the empty subject without reading it again.
        return result(
          await clients.handle(clientRef(ctx, clientId), { type: 'CreateClient', data: p }, { ...causedBy(ctx), expectNew: true }),
        );
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'conflict')) await release(deps.clientEmails, key, clientId);
        throw err;
      }
    },

    async update_client(p, ctx) {
      const ref = clientRef(ctx, p.client_id);
      const newEmail = p.changes.email;
      const { state } = await clients.load(ref);
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      const emailChanges = newEmail !== undefined && newEmail.trim().toLowerCase() !== state.profile.email;
      const newKey = emailChanges ? uniqueKey(ctx.meta.agent_id, newEmail) : null;
      if (newKey && newEmail)
        await claim(deps.clientEmails, newKey, p.client_id, emailHolder(ctx.meta.agent_id, newEmail), EMAIL_TAKEN, '/email');
      try {
        const r = await clients.handle(ref, { type: 'UpdateClient', data: p }, causedBy(ctx));
        // Release the old address only if this very write moved the client off it.
        if (r.before.status !== 'absent' && r.state.status !== 'absent' && r.before.profile.email !== r.state.profile.email)
          await release(deps.clientEmails, uniqueKey(ctx.meta.agent_id, r.before.profile.email), p.client_id);
        return result(r);
      } catch (err) {
        if (newKey) await release(deps.clientEmails, newKey, p.client_id);
        throw err;
      }
    },

    async delete_client(p, ctx) {
      const r = await clients.handle(clientRef(ctx, p.client_id), { type: 'DeleteClient' }, causedBy(ctx));
      if (r.before.status === 'active' && r.state.status === 'deleted')
        await release(deps.clientEmails, uniqueKey(ctx.meta.agent_id, r.before.profile.email), p.client_id);
      return result(r);
    },

    async unsubscribe_client(p, ctx) {
      const at = now().toISOString();
      return result(await clients.handle(clientRef(ctx, p.client_id), { type: 'UnsubscribeClient', source: p.source, at }, causedBy(ctx)));
    },
    async start_import(p, ctx) {
      const { import_id, ...job } = p;
      const r = await imports.handle(
        { agentId: ctx.meta.agent_id, aggregateId: import_id },
        { type: 'StartImport', data: job },
        causedBy(ctx),
      );
      return { data: { id: import_id }, position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null) };
    },

    // Email templates (issue 10): the id derives from the command id (a retried create is itself).
    async create_template(p, ctx) {
      const templateId = deterministicId('template', ctx.meta.command_id);
      const r = await templates.handle(
        { agentId: ctx.meta.agent_id, aggregateId: templateId },
        { type: 'CreateTemplate', data: p },
        causedBy(ctx),
      );
      return { data: toTemplateView(templateId, r.state), position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null) };
    },
    async change_template(p, ctx) {
      const ref = { agentId: ctx.meta.agent_id, aggregateId: p.template_id };
      const r = await templates.handle(ref, { type: 'ChangeTemplate', data: { changes: p.changes } }, causedBy(ctx));
      return { data: toTemplateView(p.template_id, r.state), position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null) };
    },
    async delete_template(p, ctx) {
      const ref = { agentId: ctx.meta.agent_id, aggregateId: p.template_id };
      const r = await templates.handle(ref, { type: 'DeleteTemplate' }, causedBy(ctx));
      return { data: { id: p.template_id }, position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null) };
    },

    async log_activity(p, ctx) {
      const data = {
        activity_id: deterministicId('activity', ctx.meta.command_id),
        kind: p.kind,
        body: p.body,
        stop_followups: p.stop_followups ?? false,
        logged_at: now().toISOString(),
      };
      const r = await clients.handle(clientRef(ctx, p.client_id), { type: 'LogActivity', data }, causedBy(ctx));
      // A retried command finds its activity already logged: answer with it as stored.
      const logged = r.events.find((e) => e.type === 'ActivityLogged')?.data as typeof data | undefined;
      return {
        data: { id: data.activity_id, client_id: p.client_id, ...(logged ?? data) },
        position: r.position ?? (r.seq > 0 ? { stream: 'CRM', seq: r.seq } : null),
      };
    },
  };
}
