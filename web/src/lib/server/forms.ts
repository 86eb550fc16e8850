import { type ActionFailure, fail } from '@sveltejs/kit';
import type { Problem } from './gateway.ts';

export type FieldErrors = Record<string, string>;
export type FormFailure = { message: string | null; errors: FieldErrors; values?: Record<string, string> };

/**
 * Problem details → what a form shows: each `errors[].pointer` ("/email", "/custom_fields/x")
 * becomes an inline error on its top-level field; anything else becomes the form's message.
 */
export function problemToForm(problem: Problem, knownFields: readonly string[] = []): Pick<FormFailure, 'message' | 'errors'> {
  const errors: FieldErrors = {};
  const loose: string[] = [];
  for (const e of problem.errors ?? []) {
    const field = decodeURIComponent(e.pointer.replace(/^#?\//, '').split('/')[0] ?? '')
      .replace(/~1/g, '/')
      .replace(/~0/g, '~');
    if (field && (knownFields.length === 0 || knownFields.includes(field))) {
      errors[field] ??= humanize(e.detail);
    } else {
      loose.push(e.detail);
    }
  }
  const hasFieldErrors = Object.keys(errors).length > 0;
  const message = hasFieldErrors
    ? loose.length
      ? loose.join(' ')
      : null
    : (problem.detail ?? (loose.length ? loose.join(' ') : problem.title));
  return { message, errors };
}

/**
 * Problem details → errors keyed by the whole pointer ("/steps/2/offset_days" →
 * "steps/2/offset_days"), for forms with nested fields (the plan editor). Pointers no field
 * knows (`known` says which prefixes a form shows) join the form's message.
 */
export function problemToPointers(problem: Problem, known: (path: string) => boolean): Pick<FormFailure, 'message' | 'errors'> {
  const errors: FieldErrors = {};
  const loose: string[] = [];
  for (const e of problem.errors ?? []) {
    const path = e.pointer
      .replace(/^#?\//, '')
      .split('/')
      .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
      .join('/');
    if (path && known(path)) errors[path] ??= humanize(e.detail);
    else loose.push(humanize(e.detail));
  }
  const message = Object.keys(errors).length
    ? loose.length
      ? loose.join(' ')
      : null
    : (problem.detail ?? (loose.length ? loose.join(' ') : problem.title));
  return { message, errors };
}

/** Validator messages ("must match format \"email\"") read better with a capital and a plain word. */
function humanize(detail: string): string {
  const d = detail.replace(/must match format "email"/i, 'must be a valid email address').trim();
  return d.charAt(0).toUpperCase() + d.slice(1);
}

export function failWithProblem(
  problem: Problem,
  extra: { fields?: readonly string[]; values?: Record<string, string>; form?: string; id?: string } = {},
): ActionFailure<FormFailure & { form?: string; id?: string }> {
  const status = problem.status >= 400 && problem.status < 600 ? problem.status : 400;
  return fail(status, { ...problemToForm(problem, extra.fields), values: extra.values, form: extra.form, id: extra.id });
}

/** Reads text fields of a form into a record of trimmed strings. */
export function textFields<const N extends readonly string[]>(data: FormData, names: N): Record<N[number], string> {
  const out = {} as Record<N[number], string>;
  for (const n of names as readonly N[number][]) {
    const v = data.get(n);
    out[n] = typeof v === 'string' ? v.trim() : '';
  }
  return out;
}
