/**
 * The template editor's form (issue 10), plain strings, and inserting a merge field at the
 * cursor. Pure: the editor uses it in the browser, the actions on the server.
 */
export type TemplateDraft = { name: string; subject: string; body: string };
export const TEMPLATE_FIELDS = ['name', 'subject', 'body'] as const;

export function readTemplateForm(data: FormData): TemplateDraft {
  const text = (n: string) => {
    const v = data.get(n);
    return typeof v === 'string' ? v : '';
  };
  return { name: text('name').trim(), subject: text('subject').trim(), body: text('body') };
}

/** `{{ field }}` put into `value` in place of the selection [start, end): the new value and where the cursor goes. */
export function insertField(value: string, start: number, end: number, field: string): { value: string; cursor: number } {
  const a = Math.max(0, Math.min(start, value.length));
  const b = Math.max(a, Math.min(end, value.length));
  const tag = `{{ ${field} }}`;
  return { value: value.slice(0, a) + tag + value.slice(b), cursor: a + tag.length };
}
