import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { subjects, type EventType } from '@realtoros/contracts';
import {
  DomainError, deterministicId, newEvent, type CommandContext, type CommandHandlers, type CommandResult, type EventStore,
} from '@realtoros/messaging';
import { evolve as evolveClient, initialClientState, toClientView, type ClientState } from './client/client.ts';
import { decide, type ClientCommand, type ClientDecision } from './client/decide.ts';
import { claim, release, uniqueKey } from './uniqueness/unique-registry.ts';

export type CrmDeps = { nc: NatsConnection; store: EventStore; clientEmails: KV; agentEmails: KV; now?: () => Date };

const EMAIL_TAKEN = 'A client with this email already exists.';

/**
 * crm command handlers: load the aggregate from its subject, decide, and append with
 * "expected last subject sequence" = what we loaded (a concurrent writer makes us decide
 * again). Ids derive from the command id, so a retried command appends nothing new.
 */
export function crmHandlers(deps: CrmDeps): CommandHandlers<'crm'> {
  const now = deps.now ?? (() => new Date());

  async function loadClient(agentId: string, clientId: string): Promise<{ state: ClientState; lastSeq: number }> {
    const { events, lastSeq } = await deps.store.readSubject('CRM', subjects.client(agentId, clientId));
    const state = events.reduce((s, e) => evolveClient(s, e.event), initialClientState);
    // Tenancy: the subject carries the agent, so another agent's client is simply absent.
    return { state, lastSeq };
  }

  const emailHolder = (agentId: string, email: string) => async (ownerId: string) => {
    const { state } = await loadClient(agentId, ownerId);
    if (state.status === 'absent') return 'unknown' as const;
    return state.status === 'active' && state.profile.email === email.trim().toLowerCase() ? ('holds' as const) : ('released' as const);
  };

  /**
   * Appends the decided events in order, each expecting the previous one's sequence, and
   * returns the state after them — folded in memory, no second read of the subject.
   */
  async function appendDecisions(
    ctx: CommandContext, clientId: string, state: ClientState, decisions: ClientDecision[], expected: number,
  ): Promise<{ seq: number | null; state: ClientState }> {
    let seq: number | null = null;
    let lastSeq = expected;
    let after = state;
    for (const [i, d] of decisions.entries()) {
      const event = newEvent(d.type as EventType, {
        id: deterministicId(ctx.meta.command_id, String(i)),
        agentId: ctx.meta.agent_id, aggregateId: clientId, data: d.data as never,
        correlationId: ctx.meta.correlation_id, causationId: ctx.meta.command_id, occurredAt: now(),
      });
      const r = await deps.store.append(event, { expectedLastSubjectSeq: lastSeq, traceparent: ctx.traceparent });
      seq = r.seq;
      lastSeq = r.seq;
      after = evolveClient(after, event);
    }
    return { seq, state: after };
  }

  const result = (state: ClientState, seq: number | null): CommandResult<unknown> => ({
    data: toClientView(state),
    position: seq === null ? null : { stream: 'CRM', seq },
  });

  async function run(ctx: CommandContext, clientId: string, command: ClientCommand) {
    const { state, lastSeq } = await loadClient(ctx.meta.agent_id, clientId);
    const decisions = decide(state, command);
    const { seq, state: after } = await appendDecisions(ctx, clientId, state, decisions, lastSeq);
    return { before: state, after, seq };
  }

  return {
    async register_agent(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const key = uniqueKey('agent', p.email);
      await claim(deps.agentEmails, key, agentId, async (owner) => {
        const { events } = await deps.store.readSubject('CRM', subjects.agent(owner));
        return events.length > 0 ? 'holds' : 'unknown';
      }, 'An account with this email already exists.', '/email');
      const event = newEvent('AgentRegistered', {
        id: deterministicId(ctx.meta.command_id), agentId, aggregateId: agentId,
        data: { email: p.email.trim().toLowerCase(), name: p.name.trim(), password_hash: p.password_hash },
        correlationId: ctx.meta.correlation_id, causationId: ctx.meta.command_id, occurredAt: now(),
      });
      try {
        const r = await deps.store.append(event, { expectedLastSubjectSeq: 0, traceparent: ctx.traceparent });
        return {
          data: { id: agentId, email: event.data.email, name: event.data.name, created_at: event.occurred_at },
          position: { stream: 'CRM', seq: r.seq },
        };
      } catch (err) {
        await release(deps.agentEmails, key, agentId);
        throw err;
      }
    },

    async create_client(p, ctx) {
      const clientId = deterministicId('client', ctx.meta.command_id);
      const key = uniqueKey(ctx.meta.agent_id, p.email);
      await claim(deps.clientEmails, key, clientId, emailHolder(ctx.meta.agent_id, p.email), EMAIL_TAKEN, '/email');
      try {
        const { after, seq } = await run(ctx, clientId, { type: 'CreateClient', data: p });
        return result(after, seq);
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'conflict')) await release(deps.clientEmails, key, clientId);
        throw err;
      }
    },

    async update_client(p, ctx) {
      const newEmail = p.changes.email;
      const { state } = await loadClient(ctx.meta.agent_id, p.client_id);
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      const emailChanges = newEmail !== undefined && newEmail.trim().toLowerCase() !== state.profile.email;
      const newKey = emailChanges ? uniqueKey(ctx.meta.agent_id, newEmail) : null;
      if (newKey && newEmail) await claim(deps.clientEmails, newKey, p.client_id, emailHolder(ctx.meta.agent_id, newEmail), EMAIL_TAKEN, '/email');
      try {
        const { before, after, seq } = await run(ctx, p.client_id, { type: 'UpdateClient', data: p });
        if (newKey && before.status !== 'absent') await release(deps.clientEmails, uniqueKey(ctx.meta.agent_id, before.profile.email), p.client_id);
        return result(after, seq);
      } catch (err) {
        if (newKey) await release(deps.clientEmails, newKey, p.client_id);
        throw err;
      }
    },

    async delete_client(p, ctx) {
      const { before, after, seq } = await run(ctx, p.client_id, { type: 'DeleteClient' });
      if (before.status !== 'absent') await release(deps.clientEmails, uniqueKey(ctx.meta.agent_id, before.profile.email), p.client_id);
      return result(after, seq);
    },

    async unsubscribe_client(p, ctx) {
      const { after, seq } = await run(ctx, p.client_id, { type: 'UnsubscribeClient', source: p.source, at: now().toISOString() });
      return result(after, seq);
    },
  };
}
