import { type ActionFailure, fail } from '@sveltejs/kit';
import { problemToPointers } from '#lib/server/forms.ts';
import type { Problem } from '#lib/server/gateway.ts';
import { applyEdit, isPlanField, type PlanDraft, parseEdit, readPlanForm } from './plan-form.ts';

export type PlanFormResult = {
  form: 'plan';
  ok?: boolean;
  message?: string | null;
  errors?: Record<string, string>;
  /** What the editor shows again (a failure, a preview, an edit without JavaScript). */
  draft?: PlanDraft;
  preview?: string;
};

/** The gateway's problem → the editor's inline errors (a trigger another plan has is a 409 on `stage_trigger`). */
export function planFailure(problem: Problem, draft: PlanDraft): ActionFailure<PlanFormResult> {
  if (problem.status === 409 && !problem.errors?.length && draft.stage_trigger) {
    problem.errors = [{ pointer: '/stage_trigger', detail: problem.detail ?? 'Another plan already starts at this stage' }];
  }
  const status = problem.status >= 400 && problem.status < 600 ? problem.status : 400;
  return fail(status, { form: 'plan', ...problemToPointers(problem, isPlanField), draft });
}

/** Add, remove or move a step without JavaScript: the same form comes back, edited, nothing saved. */
export async function editSteps(request: Request): Promise<PlanFormResult> {
  const data = await request.formData();
  const draft = readPlanForm(data);
  const edit = parseEdit(data.get('edit'));
  return { form: 'plan', draft: edit ? { ...draft, steps: applyEdit(draft.steps, edit) } : draft };
}
