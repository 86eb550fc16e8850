import { fail, type RequestEvent } from '@sveltejs/kit';
import { zonedToUtc } from '#lib/format.ts';
import { gateway } from './gateway.ts';
import { timeZoneOf } from './session.ts';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a row action answers: a toast on success, an inline/toast message on failure. */
export type RowResult = { ok: boolean; message: string; id?: string; form?: string };

async function patchTask(event: RequestEvent, body: Record<string, unknown>, done: string, form: string) {
  const data = await event.request.formData();
  const id = String(data.get('id') ?? '');
  if (!UUID_RE.test(id)) return fail(400, { ok: false, message: 'Unknown follow-up.', id, form } satisfies RowResult);
  let patch = body;
  if (form === 'reschedule') {
    const local = String(data.get('scheduled_for') ?? '');
    const when = zonedToUtc(local, timeZoneOf(event.cookies));
    if (!when) return fail(400, { ok: false, message: 'Pick a date and time for the follow-up.', id, form } satisfies RowResult);
    patch = { scheduled_for: when.toISOString() };
  }
  const res = await gateway('PATCH', `/api/tasks/${id}`, { token: event.locals.token, body: patch });
  if (!res.ok) {
    const first = res.problem.errors?.[0]?.detail;
    return fail(res.status, { ok: false, message: first ?? res.problem.detail ?? res.problem.title, id, form } satisfies RowResult);
  }
  return { ok: true, message: done, id, form } satisfies RowResult;
}

/**
 * The follow-up actions every page that lists tasks offers in place (dashboard, client
 * page, tasks page): complete, skip, and reschedule with a date-time picker whose
 * wall-clock value is read in the agent's time zone.
 */
export const taskActions = {
  complete: (event: RequestEvent) => patchTask(event, { status: 'completed' }, 'Follow-up marked as done.', 'complete'),
  skip: (event: RequestEvent) => patchTask(event, { status: 'skipped' }, 'Follow-up skipped.', 'skip'),
  reschedule: (event: RequestEvent) => patchTask(event, {}, 'Follow-up rescheduled.', 'reschedule'),
};
