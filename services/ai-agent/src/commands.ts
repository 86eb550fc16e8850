import type { CommandPayload, FollowupType, TemplateUse } from '@realtoros/contracts';
import { subjects } from '@realtoros/contracts';
import {
  type CommandContext,
  type CommandHandlers,
  type CommandResult,
  DomainError,
  deterministicId,
  type EventStore,
} from '@realtoros/messaging';
import { createGeneratedEmails, type Draft } from './email/generated-email.ts';
import { foldClient, foldTask, type StepFacts } from './facts.ts';
import { type ComposeResult, composeEmail, type EmailFact, type Generated, type GeneratorDeps } from './generate.ts';
import { PROMPT_VERSION } from './prompt.ts';

type Target = { clientId: string; followupType: FollowupType; taskId: string | null; step: StepFacts | null };

async function targetOf(
  deps: GeneratorDeps,
  agentId: string,
  p: { task_id?: string | undefined; client_id?: string | undefined; followup_type?: FollowupType | undefined },
): Promise<Target> {
  if (p.task_id) {
    const { events } = await deps.store.readSubject('SCHEDULER', subjects.task(agentId, p.task_id));
    const task = foldTask(events.map((e) => e.event));
    if (!task) throw new DomainError('not_found', 'task not found');
    return { clientId: task.client_id, followupType: task.followup_type, taskId: task.id, step: task.step };
  }
  if (!p.client_id)
    throw new DomainError('validation', 'give task_id or client_id', [{ pointer: '/client_id', detail: 'is required without task_id' }]);
  return { clientId: p.client_id, followupType: p.followup_type ?? 'Custom', taskId: null, step: null };
}

function unavailable(r: Exclude<ComposeResult, { kind: 'generated' }>): never {
  if (r.kind === 'template_unavailable')
    throw new DomainError('validation', r.detail, [{ pointer: '/template_id', detail: 'is not one of your templates' }]);
  if (r.reason === 'client_unsubscribed') throw new DomainError('conflict', 'this client has unsubscribed from emails');
  throw new DomainError('not_found', 'client not found');
}

const today = (ctx: CommandContext) => ctx.meta.issued_at.slice(0, 10);

/**
 * The template an email uses (issue 10): the one the agent names (required: not theirs → 400;
 * `template_use` defaults to `as_is`), else the task's plan step's (as its timer would).
 */
const templateOf = (p: { template_id?: string | undefined; template_use?: TemplateUse | undefined }, t: Target) =>
  p.template_id
    ? { id: p.template_id, use: p.template_use ?? ('as_is' as const), required: true }
    : t.step?.template
      ? { ...t.step.template, required: false }
      : null;

/**
 * The gateway waits 60 s for a manual send before it answers 503. Past this deadline the
 * agent has (or is about to have) been told "nothing was sent", so we must not send: the
 * email is appended only while the gateway is surely still waiting for the answer.
 */
export const SEND_NOW_DEADLINE_MS = 45_000;

/** `cmd.ai.preview` and `cmd.ai.send_now`: the gateway's preview and manual send. */
export function aiCommands(deps: GeneratorDeps): CommandHandlers<'ai'> {
  return {
    async preview(p: CommandPayload<'ai', 'preview'>, ctx): Promise<CommandResult<{ subject: string; body: string }>> {
      const agentId = ctx.meta.agent_id;
      const t = await targetOf(deps, agentId, p);
      const r = await composeEmail(deps, {
        agentId,
        clientId: t.clientId,
        followupType: t.followupType,
        // The agent's words for this email, else the plan step's (what the timer would send).
        instructions: p.agent_instructions ?? t.step?.instructions ?? null,
        stepLabel: t.step?.label ?? null,
        today: today(ctx),
        seed: ctx.meta.command_id,
        template: templateOf(p, t),
      });
      if (r.kind !== 'generated') unavailable(r);
      return { data: { subject: r.email.subject, body: r.email.body }, position: null };
    },

    async send_now(p: CommandPayload<'ai', 'send_now'>, ctx): Promise<CommandResult<{ email_id: string; status: 'generated' }>> {
      const agentId = ctx.meta.agent_id;
      if (p.subject !== undefined && (!p.subject.trim() || p.subject.length > 200 || /[\r\n]/.test(p.subject)))
        throw new DomainError('validation', 'invalid subject', [{ pointer: '/subject', detail: 'one line, 1 to 200 characters' }]);
      if (p.body !== undefined && (!p.body.trim() || p.body.length > 10_000))
        throw new DomainError('validation', 'invalid body', [{ pointer: '/body', detail: '1 to 10000 characters' }]);
      const t = await targetOf(deps, agentId, p);
      // The command id names the email: a retried command can't send twice.
      const emailId = deterministicId('send_now', ctx.meta.command_id);
      let email: Generated;
      let client: { email: string; name: string };
      // With a template, the email shows what it was made from (its provenance facts).
      let facts: EmailFact[] | undefined;
      if (p.subject && p.body) {
        const { events } = await deps.store.readSubject('CRM', subjects.client(agentId, t.clientId));
        const c = foldClient(events.map((e) => e.event));
        if (!c || c.deleted) throw new DomainError('not_found', 'client not found');
        if (c.unsubscribed) throw new DomainError('conflict', 'this client has unsubscribed from emails');
        client = c;
        email = {
          subject: p.subject.trim(),
          body: p.body,
          provider: 'manual',
          model: 'agent',
          prompt_version: PROMPT_VERSION,
          fallback_reason: null,
        };
      } else {
        const r = await composeEmail(deps, {
          agentId,
          clientId: t.clientId,
          followupType: t.followupType,
          instructions: p.agent_instructions ?? t.step?.instructions ?? null,
          stepLabel: t.step?.label ?? null,
          today: today(ctx),
          seed: emailId,
          template: templateOf(p, t),
        });
        if (r.kind !== 'generated') unavailable(r);
        client = r.client;
        email = { ...r.email, ...(p.subject ? { subject: p.subject.trim() } : {}), ...(p.body ? { body: p.body } : {}) };
        if (templateOf(p, t)) facts = r.facts;
      }
      if (Date.now() - Date.parse(ctx.meta.issued_at) > SEND_NOW_DEADLINE_MS)
        throw new DomainError('conflict', 'writing the email took too long; nothing was sent — try again');
      const written = await createGeneratedEmails(deps.store).handle(
        { agentId, aggregateId: emailId },
        {
          type: 'RecordGeneratedEmail',
          data: {
            task_id: t.taskId,
            client_id: t.clientId,
            followup_type: t.followupType,
            to_email: client.email,
            to_name: client.name,
            ...email,
            ...(facts ? { facts } : {}),
          },
        },
        { correlationId: ctx.meta.correlation_id, causationId: ctx.meta.command_id, traceparent: ctx.traceparent },
      );
      const res = written.position ?? { stream: 'AI' as const, seq: written.seq };
      return { data: { email_id: emailId, status: 'generated' }, position: { stream: res.stream, seq: res.seq } };
    },

    async approve(p, ctx) {
      const ref = { agentId: ctx.meta.agent_id, aggregateId: p.email_id };
      const emails = createGeneratedEmails(deps.store);
      const draft = waiting((await emails.load(ref)).state);
      const stale = await staleReason(deps.store, ctx.meta.agent_id, draft);
      if (stale) throw new DomainError('conflict', `cannot approve: ${stale}`);
      const r = await emails.handle(
        ref,
        { type: 'ApproveDraft', data: { by: ctx.meta.agent_id, at: ctx.meta.issued_at, subject: p.subject, body: p.body } },
        causedBy(ctx),
      );
      return { data: { email_id: p.email_id, status: 'approved' }, position: r.position };
    },

    async reject(p, ctx) {
      const ref = { agentId: ctx.meta.agent_id, aggregateId: p.email_id };
      const r = await createGeneratedEmails(deps.store).handle(
        ref,
        { type: 'RejectDraft', data: { by: ctx.meta.agent_id, at: ctx.meta.issued_at, reason: p.reason.trim() || 'rejected' } },
        causedBy(ctx),
      );
      return { data: { email_id: p.email_id, status: 'rejected' }, position: r.position };
    },

    async regenerate(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const ref = { agentId, aggregateId: p.email_id };
      const emails = createGeneratedEmails(deps.store);
      const draft = waiting((await emails.load(ref)).state);
      const t = draft.task_id ? await targetOf(deps, agentId, { task_id: draft.task_id }) : null;
      const step = t?.step ?? null;
      const r = await composeEmail(deps, {
        agentId,
        clientId: draft.client_id,
        followupType: draft.followup_type,
        // The agent's words for this version first, then what the step asked for.
        instructions: [p.agent_instructions, step?.instructions].filter(Boolean).join('\n\n') || null,
        stepLabel: step?.label ?? null,
        today: today(ctx),
        seed: ctx.meta.command_id,
        // Regenerating asks the AI again: a step's template is its base, never used as is.
        template: step?.template ? { id: step.template.id, use: 'ai_base', required: false } : null,
      });
      if (r.kind !== 'generated') unavailable(r);
      const written = await emails.handle(
        ref,
        {
          type: 'RecordDraft',
          data: {
            ...draftFields(draft),
            ...r.email,
            facts: r.facts,
            revision: draft.revision + 1,
            agent_instructions: p.agent_instructions,
          },
        },
        causedBy(ctx),
      );
      return {
        data: { email_id: p.email_id, status: 'awaiting_approval', subject: r.email.subject, body: r.email.body },
        position: written.position,
      };
    },
  };
}

const causedBy = (ctx: CommandContext) => ({
  correlationId: ctx.meta.correlation_id,
  causationId: ctx.meta.command_id,
  traceparent: ctx.traceparent,
});

function waiting(state: Awaited<ReturnType<ReturnType<typeof createGeneratedEmails>['load']>>['state']): Draft {
  if (state.status === 'awaiting') return state.draft;
  if (state.status === 'absent') throw new DomainError('not_found', 'no draft with this id');
  throw new DomainError(
    'conflict',
    state.status === 'rejected'
      ? 'this draft was rejected'
      : state.status === 'generated'
        ? 'this email was already approved or sent'
        : 'writing this email failed',
  );
}

const draftFields = (d: Draft) => ({
  task_id: d.task_id,
  client_id: d.client_id,
  followup_type: d.followup_type,
  to_email: d.to_email,
  to_name: d.to_name,
  review_reason: d.review_reason,
});

const END_REASON_WORDS: Record<string, string> = {
  replied: 'the client replied',
  unsubscribed: 'the client unsubscribed',
  bounced: "the client's address bounced",
  spam_reported: 'the client reported an email as spam',
  stage_lost: 'the client was marked lost',
  stage_closed: 'the client was marked closed',
  deleted: 'the client was deleted',
  conversation: 'you are in a conversation with the client',
  manual: 'you ended their plan',
  replaced: 'the client moved to another plan',
  plan_deleted: 'the plan was deleted',
};

/**
 * Why a waiting draft must not go out any more, or null. Read from the facts themselves, not
 * from the read models (which may lag): the client (deleted, unsubscribed, lost or closed),
 * a reply received since the draft was written, and the end of the plan enrolment it belongs to.
 */
export async function staleReason(store: EventStore, agentId: string, draft: Draft): Promise<string | null> {
  const [clientEvents, replies, task] = await Promise.all([
    store.readSubject('CRM', subjects.client(agentId, draft.client_id)),
    store.readSubject('MAILER', subjects.clientReplies(agentId, draft.client_id)),
    draft.task_id ? store.readSubject('SCHEDULER', subjects.task(agentId, draft.task_id)) : null,
  ]);
  const client = foldClient(clientEvents.events.map((e) => e.event));
  if (!client || client.deleted) return 'the client was deleted';
  if (client.unsubscribed) return 'the client unsubscribed';
  if (client.stage === 'lost' || client.stage === 'closed') return `the client was marked ${client.stage}`;
  const replied = replies.events.find(
    (e) =>
      e.event.type === 'ClientReplied' &&
      e.event.data.auto_reply === null &&
      Date.parse(e.event.data.received_at) >= Date.parse(draft.drafted_at) - 60_000,
  );
  if (replied?.event.type === 'ClientReplied')
    return `the client replied on ${replied.event.data.received_at.slice(0, 10)} (“${replied.event.data.subject.slice(0, 80)}”)`;
  const step = task ? foldTask(task.events.map((e) => e.event))?.step : null;
  if (step?.enrollment_id) {
    const { events } = await store.readSubject('SCHEDULER', subjects.enrollment(agentId, draft.client_id));
    const ended = events
      .map((e) => e.event)
      .filter((e) => e.type === 'EnrollmentEnded' && e.data.enrollment_id === step.enrollment_id)
      .at(-1);
    if (ended?.type === 'EnrollmentEnded')
      return `the plan stopped: ${END_REASON_WORDS[ended.data.reason] ?? ended.data.reason.replace(/_/g, ' ')}`;
  }
  return null;
}
