import { type Envelope, type EventType, subjects } from '@realtoros/contracts';
import { createCommandHandler, type EventStore, type HandleOptions, type HandleResult } from '@realtoros/messaging';
import { type EmailCommand, emailDecider } from './decide.ts';
import { type EmailState, evolve, initialState } from './email.ts';

export type Generated = Envelope<'EmailGenerated'>;

export type EmailHandler = {
  /** The email's EmailGenerated (AI stream), or null when there is none for this agent. */
  generated(agentId: string, emailId: string): Promise<Generated | null>;
  load(agentId: string, emailId: string, generated: Generated | null): Promise<{ state: EmailState; seq: number }>;
  handle(
    agentId: string,
    emailId: string,
    generated: Generated | null,
    command: EmailCommand,
    opts: HandleOptions<EventType>,
  ): Promise<HandleResult<EmailState>>;
};

/**
 * The email's command path: the shared command handler (load → decide → append with the
 * expected sequence, ids from type/aggregate/cause, duplicate acks checked, retries in one
 * place) over the email's MAILER subject. The aggregate starts with EmailGenerated on the AI
 * stream, which the handler (one subject) does not read: the caller hands it in, read once,
 * and the fold starts from it. Subjects carry the agent, so another agent's email is absent.
 */
export function emailHandler(store: EventStore): EmailHandler {
  const from = (generated: Generated | null) =>
    createCommandHandler(
      store,
      { ...emailDecider, initialState: generated ? evolve(initialState, generated) : initialState },
      { stream: 'MAILER', aggregate: 'email' },
    );
  return {
    async generated(agentId, emailId) {
      const { events } = await store.readSubject('AI', subjects.generatedEmail(agentId, emailId));
      const e = events.find((x) => x.event.type === 'EmailGenerated')?.event;
      return e?.type === 'EmailGenerated' ? e : null;
    },
    load: (agentId, emailId, generated) => from(generated).load({ agentId, aggregateId: emailId }),
    handle: (agentId, emailId, generated, command, opts) => from(generated).handle({ agentId, aggregateId: emailId }, command, opts),
  };
}
