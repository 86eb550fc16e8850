import type { ClientStage } from './enums.ts';
import type { Envelope } from './envelope.ts';
import type { EventData } from './registry.ts';

/** A client's profile fields, as ClientCreated records them (stage aside). */
export type ClientProfileFacts = Omit<EventData<'ClientCreated'>, 'stage'>;

/**
 * What the CRM's public events say about one client — the one fold every service uses
 * (crm's aggregate state, the scheduler's planning, the ai-agent's prompt facts, the
 * mailer's suppression), so they can never disagree about a client's standing.
 */
export type ClientFacts =
  | { status: 'absent' }
  | {
      status: 'active' | 'deleted';
      id: string;
      agentId: string;
      profile: ClientProfileFacts;
      stage: ClientStage;
      unsubscribed: boolean;
      createdAt: string;
      updatedAt: string;
    };

export const initialClientFacts: ClientFacts = { status: 'absent' };

/**
 * Folds one event of a client's subject (`crm.<agent>.client.<id>`); any other event leaves
 * the facts as they are. `ClientStageChanged.changes` (a PATCH that also moved the stage) is
 * applied like ClientUpdated's, so old two-event histories and new one-event ones agree.
 */
export function evolveClientFacts(facts: ClientFacts, event: Envelope): ClientFacts {
  if (event.type === 'ClientCreated') {
    if (facts.status !== 'absent') return facts;
    const { stage, ...profile } = event.data;
    return {
      status: 'active',
      id: event.aggregate_id,
      agentId: event.agent_id,
      profile,
      stage,
      unsubscribed: false,
      createdAt: event.occurred_at,
      updatedAt: event.occurred_at,
    };
  }
  if (facts.status === 'absent') return facts;
  const at = event.occurred_at;
  switch (event.type) {
    case 'ClientUpdated':
      return { ...facts, profile: { ...facts.profile, ...event.data.changes }, updatedAt: at };
    case 'ClientStageChanged':
      return { ...facts, profile: { ...facts.profile, ...event.data.changes }, stage: event.data.to, updatedAt: at };
    case 'ClientDeleted':
      return { ...facts, status: 'deleted', updatedAt: at };
    case 'ClientUnsubscribed':
      return { ...facts, unsubscribed: true, updatedAt: at };
    default:
      return facts;
  }
}

export const foldClientFacts = (events: readonly Envelope[]): ClientFacts => events.reduce(evolveClientFacts, initialClientFacts);

/** May we still write to this client? `unsubscribed` and `deleted` both mean no. */
export type ClientStanding = 'absent' | 'active' | 'unsubscribed' | 'deleted';
export function clientStanding(facts: ClientFacts): ClientStanding {
  if (facts.status === 'absent' || facts.status === 'deleted') return facts.status;
  return facts.unsubscribed ? 'unsubscribed' : 'active';
}

/**
 * The stages that stop a client's automated follow-ups (issue 8's stop rule; a plan may
 * later choose others), and the reason each one gives — ARCHITECTURE.md §10's enrolment
 * end reasons, used by the scheduler's TaskCancelled and the mailer's EmailSuppressed alike.
 */
export const STOP_STAGES = ['lost', 'closed'] as const satisfies readonly ClientStage[];
export type StopReason = `stage_${(typeof STOP_STAGES)[number]}`;
export function stageStopReason(stage: ClientStage): StopReason | null {
  return stage === 'lost' ? 'stage_lost' : stage === 'closed' ? 'stage_closed' : null;
}

/** Why automated email to this client must stop by its stage, if it must (absent/deleted: null — standing says that). */
export function automationStop(facts: ClientFacts): StopReason | null {
  return facts.status === 'active' ? stageStopReason(facts.stage) : null;
}
