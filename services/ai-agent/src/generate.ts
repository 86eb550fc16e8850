import {
  type EventData,
  type FollowupType,
  foldAgentSettings,
  mergeValuesOf,
  renderEmailTemplate,
  subjects,
  type TemplateUse,
} from '@realtoros/contracts';
import { type EventStore, storableText } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { type AgentFacts, type ClientFacts, foldAgent, foldClient, foldTemplate, type PreviousEmail } from './facts.ts';
import type { HistoryReader } from '@realtoros/messaging';
import { checkDraft, type EmailDraft } from './output-check.ts';
import { type GenerationInput, PROMPT_VERSION } from './prompt.ts';
import { TEMPLATE_MODEL, writeTemplateEmail } from './providers/template.ts';
import type { EmailWriter } from './providers/types.ts';

export type GeneratorDeps = {
  store: EventStore;
  /** Client and agent histories in the fewest reads (`historyReader`; agents kept across emails). */
  history: HistoryReader;
  writer: EmailWriter;
  /** The last emails sent to this client (read model); [] when unavailable. */
  recentEmails: (agentId: string, clientId: string) => Promise<PreviousEmail[]>;
  log: Logger;
};

export type Generated = EmailDraft & { provider: string; model: string; prompt_version: string; fallback_reason: string | null };
export type EmailFact = NonNullable<EventData<'EmailGenerated'>['facts']>[number];

export type ComposeRequest = {
  agentId: string;
  clientId: string;
  followupType: FollowupType;
  instructions: string | null;
  /** The plan step's label, when the email is one (it reaches the writer with the step's instructions). */
  stepLabel?: string | null;
  today: string;
  seed: string;
  /**
   * One of the agent's templates (issue 10): `as_is` — the rendered template is the email, no
   * writer is called; `ai_base` — the writer personalises it (the offline writer, and the
   * fallback when the AI fails or is rejected, send it as rendered). `required` (a manual
   * email): a template that is not there is an error; otherwise (a plan step) the email is
   * written without it and `fallback_reason` says why.
   */
  template?: { id: string; use: TemplateUse; required: boolean } | null;
};

/** Provider name of an email that is an agent's template as rendered. */
export const TEMPLATE_PROVIDER = 'agent_template';

export type ComposeResult =
  | {
      kind: 'generated';
      client: ClientFacts;
      email: Generated;
      /** What the writer was given, as the email page shows it. */
      facts: EmailFact[];
      /** The agent reviews every automated email (settings `review_by_default`). */
      reviewByDefault: boolean;
    }
  | { kind: 'unavailable'; reason: 'client_not_found' | 'client_deleted' | 'client_unsubscribed'; detail: string }
  | { kind: 'template_unavailable'; detail: string };

/**
 * Writes one email for one client: facts from the CRM events, the configured writer, the
 * output check, and the template as the fallback when the writer fails or is rejected.
 * Never throws for provider trouble: the fallback still produces a decent email.
 */
export async function composeEmail(deps: GeneratorDeps, req: ComposeRequest): Promise<ComposeResult> {
  const [clientEvents, agentEvents, templateEvents] = await Promise.all([
    deps.history.read('CRM', subjects.client(req.agentId, req.clientId)),
    deps.history.read('CRM', subjects.agent(req.agentId)),
    req.template ? deps.history.read('CRM', subjects.template(req.agentId, req.template.id)) : [],
  ]);
  const client = foldClient(clientEvents);
  if (!client) return { kind: 'unavailable', reason: 'client_not_found', detail: 'client not found' };
  if (client.deleted) return { kind: 'unavailable', reason: 'client_deleted', detail: 'client was deleted' };
  if (client.unsubscribed) return { kind: 'unavailable', reason: 'client_unsubscribed', detail: 'client has unsubscribed from emails' };
  const agent: AgentFacts = foldAgent(agentEvents) ?? { name: 'Your agent', email: null };
  const settings = foldAgentSettings(agentEvents);
  // The template, rendered for this client and agent; or why the email is written without it.
  let base: { subject: string; body: string; name: string; version: number; use: TemplateUse } | null = null;
  let templateNote: string | null = null;
  if (req.template) {
    const t = foldTemplate(templateEvents);
    const rendered = t && !t.deleted ? renderEmailTemplate(t, mergeValuesOf(client, { ...agent, signature: settings.signature })) : null;
    if (t && rendered?.body)
      base = { subject: rendered.subject || t.name, body: rendered.body, name: t.name, version: t.version, use: req.template.use };
    else {
      const why = !t
        ? `template ${req.template.id} not found`
        : t.deleted
          ? `template "${t.name}" was deleted`
          : `template "${t.name}" rendered empty`;
      if (req.template.required) return { kind: 'template_unavailable', detail: why };
      templateNote = `${why}: written without it`;
    }
  }
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
    base: base?.use === 'ai_base' ? { subject: base.subject, body: base.body } : null,
  };
  let email: Generated =
    base?.use === 'as_is'
      ? { subject: base.subject, body: base.body, ...asTemplate(), fallback_reason: null }
      : await generate(deps.writer, input, deps.log);
  if (templateNote) email = { ...email, fallback_reason: storableText([templateNote, email.fallback_reason].filter(Boolean).join('; ')) };
  const facts = factsOf(input);
  if (base)
    facts.push({ label: 'Template', value: clip(`${base.name} (${base.use === 'as_is' ? 'as is' : 'the AI personalised it'})`, 300) });
  else if (templateNote) facts.push({ label: 'Template', value: clip(templateNote, 300) });
  return { kind: 'generated', client, email, facts, reviewByDefault: settings.review_by_default };
}

const asTemplate = () => ({ provider: TEMPLATE_PROVIDER, model: 'agent', prompt_version: PROMPT_VERSION });

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * A summary of what the writer was given (HUD 2024: the agent answers for AI text in their
 * name, so the email page shows it). Notes and instructions are the agent's own words about
 * a person: they are named with their size, not repeated; nothing secret is in the prompt.
 */
export function factsOf(input: GenerationInput): EmailFact[] {
  const c = input.client;
  const facts: EmailFact[] = [
    { label: 'Client', value: clip(c.name, 300) },
    { label: 'Stage', value: c.stage },
    { label: 'Property type', value: c.property_type ?? 'not given' },
    { label: 'Property address', value: c.property_address ? clip(c.property_address, 300) : 'not given' },
    { label: 'Notes', value: c.notes ? `given (${c.notes.length} characters)` : 'none' },
    { label: 'Custom fields', value: String(Object.keys(c.custom_fields).length) },
    { label: 'Follow-up', value: input.followupType },
    { label: 'Earlier emails', value: String(input.previous.length) },
    { label: 'Agent', value: clip(input.agent.name, 300) },
    { label: 'Date', value: input.today },
  ];
  if (input.stepLabel) facts.push({ label: 'Plan step', value: clip(input.stepLabel, 300) });
  facts.push({ label: 'Instructions', value: input.instructions ? `given (${input.instructions.length} characters)` : 'none' });
  return facts;
}

export async function generate(writer: EmailWriter, input: GenerationInput, log: Logger): Promise<Generated> {
  const base = input.base ?? null;
  // With the agent's template as the base, the template as rendered stands in (not ours).
  const fallback = (reason: string): Generated => ({
    ...(base
      ? { ...base, ...asTemplate() }
      : { ...writeTemplateEmail(input), provider: 'template', model: TEMPLATE_MODEL, prompt_version: PROMPT_VERSION }),
    fallback_reason: storableText(reason.slice(0, 500)),
  });
  if (writer.provider === 'template' && base) return { ...base, ...asTemplate(), fallback_reason: null };
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
