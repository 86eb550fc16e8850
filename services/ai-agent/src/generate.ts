import { type FollowupType, subjects } from '@realtoros/contracts';
import { type EventStore, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { type AgentFacts, type ClientFacts, foldAgent, foldClient, type PreviousEmail } from './facts.ts';
import { checkDraft, type EmailDraft } from './output-check.ts';
import { type GenerationInput, PROMPT_VERSION } from './prompt.ts';
import { TEMPLATE_MODEL, writeTemplateEmail } from './providers/template.ts';
import type { EmailWriter } from './providers/types.ts';

export type GeneratorDeps = {
  store: EventStore;
  writer: EmailWriter;
  /** The last emails sent to this client (read model); [] when unavailable. */
  recentEmails: (agentId: string, clientId: string) => Promise<PreviousEmail[]>;
  log: Logger;
};

export type Generated = EmailDraft & { provider: string; model: string; prompt_version: string; fallback_reason: string | null };

export type ComposeRequest = {
  agentId: string;
  clientId: string;
  followupType: FollowupType;
  instructions: string | null;
  /** The plan step's label, when the email is one (it reaches the writer with the step's instructions). */
  stepLabel?: string | null;
  today: string;
  seed: string;
};

export type ComposeResult =
  | { kind: 'generated'; client: ClientFacts; email: Generated }
  | { kind: 'unavailable'; reason: 'client_not_found' | 'client_deleted' | 'client_unsubscribed'; detail: string };

/**
 * Writes one email for one client: facts from the CRM events, the configured writer, the
 * output check, and the template as the fallback when the writer fails or is rejected.
 * Never throws for provider trouble: the fallback still produces a decent email.
 */
export async function composeEmail(deps: GeneratorDeps, req: ComposeRequest): Promise<ComposeResult> {
  const [clientEvents, agentEvents] = await Promise.all([
    deps.store.readSubject('CRM', subjects.client(req.agentId, req.clientId)),
    deps.store.readSubject('CRM', subjects.agent(req.agentId)),
  ]);
  const client = foldClient(clientEvents.events.map((e) => e.event));
  if (!client) return { kind: 'unavailable', reason: 'client_not_found', detail: 'client not found' };
  if (client.deleted) return { kind: 'unavailable', reason: 'client_deleted', detail: 'client was deleted' };
  if (client.unsubscribed) return { kind: 'unavailable', reason: 'client_unsubscribed', detail: 'client has unsubscribed from emails' };
  const agent: AgentFacts = foldAgent(agentEvents.events.map((e) => e.event)) ?? { name: 'Your agent', email: null };
  let previous: PreviousEmail[] = [];
  try {
    previous = await deps.recentEmails(req.agentId, req.clientId);
  } catch (err) {
    deps.log.warn({ err }, 'previous emails unavailable; writing without them');
  }
  const input: GenerationInput = {
    agent,
    client,
    followupType: req.followupType,
    today: req.today,
    previous,
    instructions: req.instructions,
    stepLabel: req.stepLabel ?? null,
    seed: req.seed,
  };
  return { kind: 'generated', client, email: await generate(deps.writer, input, deps.log) };
}

export async function generate(writer: EmailWriter, input: GenerationInput, log: Logger): Promise<Generated> {
  const fallback = (reason: string): Generated => ({
    ...writeTemplateEmail(input),
    provider: 'template',
    model: TEMPLATE_MODEL,
    prompt_version: PROMPT_VERSION,
    fallback_reason: storableText(reason.slice(0, 500)),
  });
  if (writer.provider === 'template')
    return {
      ...writeTemplateEmail(input),
      provider: 'template',
      model: TEMPLATE_MODEL,
      prompt_version: PROMPT_VERSION,
      fallback_reason: null,
    };
  let draft: EmailDraft;
  try {
    draft = await writer.write(input);
  } catch (err) {
    const e = err as Error;
    log.warn({ err: e.message, provider: writer.provider }, 'email writer failed; using the template');
    return fallback(`${writer.provider} failed: ${e.name}: ${e.message}`);
  }
  const problems = checkDraft(draft, input.client, input.agent.email ? [input.agent.email] : []);
  if (problems.length) {
    log.warn({ problems, provider: writer.provider }, 'email writer output rejected; using the template');
    return fallback(`${writer.provider} output rejected: ${problems.join('; ')}`);
  }
  return {
    subject: draft.subject,
    body: draft.body,
    provider: writer.provider,
    model: writer.model,
    prompt_version: PROMPT_VERSION,
    fallback_reason: null,
  };
}
