import { type ActionFailure, fail } from '@sveltejs/kit';
import { problemToForm } from '#lib/server/forms.ts';
import type { Problem } from '#lib/server/gateway.ts';
import { TEMPLATE_FIELDS, type TemplateDraft } from './template-form.ts';

export type TemplateFormResult = { form: 'template'; message: string | null; errors: Record<string, string>; draft: TemplateDraft };

/** The gateway's problem (an unknown merge field is a 400 on /subject or /body) → the editor's inline errors. */
export function templateFailure(problem: Problem, draft: TemplateDraft): ActionFailure<TemplateFormResult> {
  const status = problem.status >= 400 && problem.status < 600 ? problem.status : 400;
  return fail(status, { form: 'template', ...problemToForm(problem, TEMPLATE_FIELDS), draft });
}
