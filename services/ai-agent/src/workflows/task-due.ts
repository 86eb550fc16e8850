import { subjects, type Envelope } from '@realtoros/contracts';
import { ConcurrencyError, deterministicId, newEvent } from '@realtoros/messaging';
import { composeEmail, type GeneratorDeps } from '../generate.ts';

/** The email a task's firing produces: one per (task, schedule version), whatever redelivers. */
export const emailIdForTask = (taskId: string, version: number) => deterministicId(taskId, String(version));

/**
 * TaskDue → EmailGenerated (or EmailGenerationFailed). Idempotent: if the email's AI subject
 * already holds an event, the work was done (no second provider call); the append expects an
 * empty subject, so two racing deliveries can't both write.
 */
export async function onTaskDue(deps: GeneratorDeps, event: Envelope<'TaskDue'>, traceparent: string | null): Promise<void> {
  const agentId = event.agent_id;
  const taskId = event.aggregate_id;
  const emailId = emailIdForTask(taskId, event.data.version);
  const existing = await deps.store.readSubject('AI', subjects.generatedEmail(agentId, emailId));
  if (existing.events.length > 0) return;

  const result = await composeEmail(deps, {
    agentId, clientId: event.data.client_id, followupType: event.data.followup_type, instructions: null,
    today: event.data.fired_at.slice(0, 10), seed: emailId,
  });
  const base = { agentId, aggregateId: emailId, correlationId: event.correlation_id, causationId: event.id, id: deterministicId(emailId, 'generation') };
  const out =
    result.kind === 'generated'
      ? newEvent('EmailGenerated', {
          ...base,
          data: {
            task_id: taskId, client_id: event.data.client_id, followup_type: event.data.followup_type,
            to_email: result.client.email, to_name: result.client.name, ...result.email,
          },
        })
      : newEvent('EmailGenerationFailed', { ...base, data: { task_id: taskId, client_id: event.data.client_id, reason: result.detail } });
  try {
    await deps.store.append(out, { expectedLastSubjectSeq: 0, traceparent });
  } catch (err) {
    if (err instanceof ConcurrencyError) return; // another delivery wrote it first
    throw err;
  }
}
