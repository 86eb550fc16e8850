import type { CommandPayload, FollowupType } from '@realtoros/contracts';
import { subjects } from '@realtoros/contracts';
import { type CommandContext, type CommandHandlers, type CommandResult, DomainError, deterministicId } from '@realtoros/messaging';
import { createGeneratedEmails } from './email/generated-email.ts';
import { foldClient, foldTask, type StepFacts } from './facts.ts';
import { type ComposeResult, composeEmail, type Generated, type GeneratorDeps } from './generate.ts';
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

function unavailable(r: Extract<ComposeResult, { kind: 'unavailable' }>): never {
  if (r.reason === 'client_unsubscribed') throw new DomainError('conflict', 'this client has unsubscribed from emails');
  throw new DomainError('not_found', 'client not found');
}

const today = (ctx: CommandContext) => ctx.meta.issued_at.slice(0, 10);

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
      });
      if (r.kind === 'unavailable') unavailable(r);
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
        });
        if (r.kind === 'unavailable') unavailable(r);
        client = r.client;
        email = { ...r.email, ...(p.subject ? { subject: p.subject.trim() } : {}), ...(p.body ? { body: p.body } : {}) };
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
          },
        },
        { correlationId: ctx.meta.correlation_id, causationId: ctx.meta.command_id, traceparent: ctx.traceparent },
      );
      const res = written.position ?? { stream: 'AI' as const, seq: written.seq };
      return { data: { email_id: emailId, status: 'generated' }, position: { stream: res.stream, seq: res.seq } };
    },
  };
}
