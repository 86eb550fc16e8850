import type { AgentSettings, PlanPatchBody, PlanPreview } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { normalizePlanSteps, type PlanStep, type PlanVersion, planChangeEffects, summarizePreview } from '@realtoros/planning';
import { getPlan, getSettings, type PlanPreviewEnrollment, planPreviewInputs } from '@realtoros/queries';
import { HttpProblem, notFound } from '../errors/index.ts';

/**
 * `POST /api/plans/{id}/preview`: what the PATCH body would do to the clients enrolled in the
 * plan now, if applied to them (`apply_to: current`). The proposed version is built as the
 * scheduler builds it (normalizePlanSteps over the current steps, version + 1), and each live
 * enrolment's effect is planChangeEffects — the function the scheduler applies the edit with —
 * from the read models' view of its version, anchor, zone and tasks. Nothing is written.
 */
export async function previewPlanChange(db: Db, agentId: string, planId: string, changes: PlanPatchBody): Promise<PlanPreview> {
  const plan = await getPlan(db, agentId, planId);
  if (!plan) throw notFound('plan');
  const version = plan.version + 1;
  const current = plan.steps as PlanStep[];
  const { steps, issues } = changes.steps ? normalizePlanSteps(plan.id, version, changes.steps, current) : { steps: current, issues: [] };
  if (issues.length > 0) throw new HttpProblem(400, 'Invalid request', 'The body is invalid.', issues);
  const [enrollments, settings] = await Promise.all([planPreviewInputs(db, agentId, planId), getSettings(db, agentId)]);
  const to: PlanVersion = { plan_id: plan.id, name: changes.name ?? plan.name, version, steps };
  return previewOf(to, enrollments, settings, new Date().toISOString());
}

/** The pure part: each enrolment's effects of moving onto `to`, summed into the editor's sentence. */
export function previewOf(
  to: PlanVersion,
  enrollments: readonly PlanPreviewEnrollment[],
  settings: AgentSettings,
  now: string,
): PlanPreview {
  const effects = enrollments.map((e) =>
    planChangeEffects({
      from: e.from,
      to,
      tasks: e.tasks,
      anchor: e.anchor,
      settings,
      clientZone: e.time_zone,
      clientId: e.client_id,
      enrollmentId: e.enrollment_id,
      now,
    }),
  );
  return summarizePreview(effects, enrollments.length);
}
