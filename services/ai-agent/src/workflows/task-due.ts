import type { Envelope } from '@realtoros/contracts';
import { deterministicId, storableText } from '@realtoros/messaging';
import { createGeneratedEmails } from '../email/generated-email.ts';
import { composeEmail, type GeneratorDeps } from '../generate.ts';
import { hasGuardrailProblem } from '../guardrails.ts';

/** The email a task's firing produces: one per (task, schedule version), whatever redelivers. */
export const emailIdForTask = (taskId: string, version: number) => deterministicId(taskId, String(version));

/**
 * TaskDue → EmailGenerated (or EmailGenerationFailed), on the one command path.
 *
 * A plan step's TaskDue says what to do (`action`, absent on tasks planned before plans and
 * on manual ones = `email`): `task` is a reminder for the agent to call or text — no email is
 * written (the dashboard shows it due; the agent completes it); `email_review` — and any
 * planned `email` step while the agent reviews by default — is written as a draft that waits
 * for the agent (EmailAwaitingApproval; the review queue); so is an automated email whose AI
 * text the guardrails refused (the template stands in, with the reason). The step's
 * `instructions` reach the writer as the agent's instructions for this email, with its label.
 *
 * Idempotent:
 * if the email's AI subject already holds an event, the work was done (no second provider
 * call); otherwise the decider writes the outcome only while the subject is still empty (the
 * append expects the sequence it loaded), so two racing deliveries can't both write.
 */
export async function onTaskDue(deps: GeneratorDeps, event: Envelope<'TaskDue'>, traceparent: string | null): Promise<void> {
  if (event.data.action === 'task') return; // a reminder for the agent: nothing to write
  const emails = createGeneratedEmails(deps.store);
  const taskId = event.aggregate_id;
  const ref = { agentId: event.agent_id, aggregateId: emailIdForTask(taskId, event.data.version) };
  if ((await emails.load(ref)).state.status !== 'absent') return;

  const result = await composeEmail(deps, {
    agentId: ref.agentId,
    clientId: event.data.client_id,
    followupType: event.data.followup_type,
    instructions: event.data.instructions ?? null,
    stepLabel: event.data.step_label ?? null,
    today: event.data.fired_at.slice(0, 10),
    seed: ref.aggregateId,
    // The step's template (issue 10): deleted since → an ordinary email, `fallback_reason` says so.
    template: event.data.template_id ? { id: event.data.template_id, use: event.data.template_use ?? 'as_is', required: false } : null,
  });
  const review = result.kind === 'generated' ? reviewReasonFor(event, result) : null;
  if (result.kind === 'generated' && review) {
    await emails.handle(
      ref,
      {
        type: 'RecordDraft',
        data: {
          task_id: taskId,
          client_id: event.data.client_id,
          followup_type: event.data.followup_type,
          to_email: result.client.email,
          to_name: result.client.name,
          ...result.email,
          facts: result.facts,
          review_reason: review,
          revision: 1,
        },
      },
      { correlationId: event.correlation_id, causationId: event.id, traceparent, expectNew: true },
    );
    return;
  }
  await emails.handle(
    ref,
    result.kind === 'generated'
      ? {
          type: 'RecordGeneratedEmail',
          data: {
            task_id: taskId,
            client_id: event.data.client_id,
            followup_type: event.data.followup_type,
            to_email: result.client.email,
            to_name: result.client.name,
            ...result.email,
            facts: result.facts,
          },
        }
      : {
          type: 'RecordGenerationFailure',
          data: { task_id: taskId, client_id: event.data.client_id, reason: storableText(result.detail).slice(0, 2000) },
        },
    // Read empty a moment ago: appended expecting it still is (a twin delivery that wrote
    // meanwhile makes the append fail, and the ordinary load → decide writes nothing).
    { correlationId: event.correlation_id, causationId: event.id, traceparent, expectNew: true },
  );
}

/**
 * Why this step's email waits for the agent, or null when it goes automatically: the step
 * says review; the agent reviews every planned email by default; or the guardrails refused
 * the AI's text (a Fair Housing or promise problem: the agent should see why the template
 * stands in before anything goes out).
 */
export function reviewReasonFor(
  event: Envelope<'TaskDue'>,
  result: { email: { fallback_reason: string | null }; reviewByDefault: boolean },
): 'step' | 'default' | 'guardrail' | null {
  if (event.data.action === 'email_review') return 'step';
  const planned = event.data.step_label !== undefined;
  if (planned && result.reviewByDefault) return 'default';
  if (result.email.fallback_reason && hasGuardrailProblem(result.email.fallback_reason)) return 'guardrail';
  return null;
}
