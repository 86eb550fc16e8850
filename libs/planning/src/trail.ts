// The decision trail (issue 8): why a task or an email did or did not go out, in plain words,
// read from its events — one item per decision. Pure and type-only imports, so the gateway,
// the web app and tests can all render it the same way.
//
// Times are written in the zone the decision was made in (a planned step's timing.time_zone,
// a cap hold's time_zone), else the task's last known zone, else opts.zone, else UTC: a
// client in Chicago reads "Mon 09:37" as the window put it, not in the agent's zone.

import type { Envelope, EventType, TaskCancelReason, TrailItem } from '@realtoros/contracts';

export type { TrailItem };
export type TrailOptions = { zone?: string | null | undefined };

const TASK_EVENTS: ReadonlySet<EventType> = new Set([
  'TaskScheduled',
  'TaskRescheduled',
  'TaskHeld',
  'TaskDue',
  'TaskCompleted',
  'TaskSkipped',
  'TaskFailed',
  'TaskCancelled',
]);
const EMAIL_EVENTS: ReadonlySet<EventType> = new Set([
  'EmailGenerated',
  'EmailGenerationFailed',
  'EmailSent',
  'EmailSuppressed',
  'EmailFailed',
]);

/** A task's trail, oldest first. Events of other kinds (details edits, other aggregates) say nothing. */
export function taskTrail(events: readonly Envelope[], opts: TrailOptions = {}): TrailItem[] {
  return walkTask(events, opts).items;
}

/**
 * An email's trail: its task's decisions (when it has a task) then the email's own, merged in
 * time order (ties keep the task's first: the task fell due before its email was written).
 * Email events carry no zone; they are written in the task's zone, else opts.zone.
 */
export function emailTrail(taskEvents: readonly Envelope[], emailEvents: readonly Envelope[], opts: TrailOptions = {}): TrailItem[] {
  const task = walkTask(taskEvents, opts);
  const zone = task.zone ?? opts.zone ?? 'UTC';
  const mail = emailEvents.flatMap((e) => emailItems(e, zone));
  return [...task.items, ...mail]
    .map((item, i) => ({ item, i }))
    .sort((a, b) => cmp(a.item.at, b.item.at) || a.i - b.i)
    .map((x) => x.item);
}

function walkTask(events: readonly Envelope[], opts: TrailOptions): { items: TrailItem[]; zone: string | undefined } {
  const items: TrailItem[] = [];
  // The task's own zone, learnt from its planned timing; later events without one reuse it.
  let taskZone: string | undefined;
  for (const e of events) {
    if (!TASK_EVENTS.has(e.type)) continue;
    const own = zoneOf(e);
    if (own) taskZone = own;
    const zone = own ?? taskZone ?? opts.zone ?? 'UTC';
    for (const text of taskTexts(e, zone)) items.push({ at: e.occurred_at, event: e.type, text });
  }
  return { items, zone: taskZone };
}

function zoneOf(e: Envelope): string | undefined {
  if (e.type === 'TaskScheduled' || e.type === 'TaskRescheduled') return e.data.timing?.time_zone;
  if (e.type === 'TaskHeld') return e.data.time_zone;
  return undefined;
}

/** The sentences one task event adds (a planned TaskScheduled moved by the window says two things). */
function taskTexts(e: Envelope, zone: string): string[] {
  switch (e.type) {
    case 'TaskScheduled':
      return scheduledTexts(e, zone);
    case 'TaskRescheduled':
      return [rescheduledText(e, zone)];
    case 'TaskHeld': {
      const d = e.data;
      if (d.reason === 'paused') return ['Held: the plan is paused.'];
      const cap = d.cap === undefined ? '' : ` (${d.cap} automated ${d.cap === 1 ? 'email' : 'emails'} a day)`;
      const goes = d.until === null ? '' : `; it goes ${dayTime(d.until, zone)}`;
      return [`Held on ${weekday(e.occurred_at, zone)} by the daily cap${cap}${goes}.`];
    }
    case 'TaskDue': {
      const what =
        e.data.action === 'task'
          ? 'a reminder for you to call or text'
          : e.data.action === 'email_review'
            ? 'the email is being written (review before sending comes later; it is sent as written)'
            : 'the email is being written';
      return [`Due ${dayTime(e.data.scheduled_for, zone)}: ${what}.`];
    }
    case 'TaskCompleted':
      return [e.data.by === 'email' ? 'Completed: the email was sent.' : 'Completed by you.'];
    case 'TaskSkipped':
      return ['Skipped by you.'];
    case 'TaskFailed':
      return [`Failed: ${clause(e.data.reason)}.`];
    case 'TaskCancelled':
      return [`Cancelled because ${cancelWords(e.data.reason)}.`];
    default:
      return [];
  }
}

function scheduledTexts(e: Envelope<'TaskScheduled'>, zone: string): string[] {
  const d = e.data;
  if (d.origin === 'manual') return [`Created by you for ${dayTime(d.scheduled_for, zone)}.`];
  if (!d.plan) return [`Planned as '${d.followup_type}' of the standard follow-up.`];
  const p = d.plan;
  const texts = [
    `Planned from '${p.plan_name}' v${p.plan_version}, step ${p.step_index} (${p.step_label}) on ${monthDay(e.occurred_at, zone)}.`,
  ];
  // The window moved it: say from where to where, in the zone it was placed in.
  if (d.timing && Date.parse(d.timing.planned_for) !== Date.parse(d.scheduled_for)) {
    texts.push(`Moved from ${dayTime(d.timing.planned_for, zone)} to ${dayTime(d.scheduled_for, zone)} by the sending window (${zone}).`);
  }
  return texts;
}

function rescheduledText(e: Envelope<'TaskRescheduled'>, zone: string): string {
  const d = e.data;
  const to = dayTime(d.scheduled_for, zone);
  if (d.by === 'resume') return `Moved to ${to} when the plan resumed.`;
  if (d.by === 'plan_change') {
    const version = d.plan ? ` (v${d.plan.plan_version})` : '';
    // Same time, new content (an `update` effect): nothing moved, so don't say it did.
    if (Date.parse(d.scheduled_for) === Date.parse(d.previous)) return `Changed by an edit of the plan${version}; it still goes ${to}.`;
    return `Moved to ${to} by an edit of the plan${version}.`;
  }
  return `Rescheduled by you to ${to}.`;
}

function emailItems(e: Envelope, zone: string): TrailItem[] {
  if (!EMAIL_EVENTS.has(e.type)) return [];
  const text = emailText(e, zone);
  return text === null ? [] : [{ at: e.occurred_at, event: e.type, text }];
}

function emailText(e: Envelope, zone: string): string | null {
  switch (e.type) {
    case 'EmailGenerated':
      return `Written by ${e.data.provider} on ${dayTime(e.occurred_at, zone)}.`;
    case 'EmailSent':
      return `Sent on ${dayTime(e.data.sent_at, zone)}.`;
    case 'EmailSuppressed':
      return `Not sent: ${reasonWords(e.data.reason)}.`;
    case 'EmailFailed':
      return `Sending failed: ${clause(e.data.reason)}.`;
    case 'EmailGenerationFailed':
      return `Could not be written: ${clause(e.data.reason)}.`;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// Words

const CANCEL_WORDS: Partial<Record<TaskCancelReason, string>> = {
  replaced: 'the client was enrolled in another plan',
  manual: 'you ended the plan',
  deleted: 'the client was deleted',
  client_deleted: 'the client was deleted',
  unsubscribed: 'the client unsubscribed',
  client_unsubscribed: 'the client unsubscribed',
  bounced: 'an email to the client bounced',
  spam_reported: 'the client reported an email as spam',
  replied: 'the client replied',
  step_removed: 'its step was removed from the plan',
  plan_deleted: 'the plan was deleted',
  completed: 'the plan was completed',
  conversation: 'a conversation started',
};

/** "stage_under_contract" → "the stage became under contract"; the rest from CANCEL_WORDS. */
export function cancelWords(reason: string): string {
  if (reason.startsWith('stage_')) return `the stage became ${reason.slice('stage_'.length).replaceAll('_', ' ')}`;
  return CANCEL_WORDS[reason as TaskCancelReason] ?? reason.replaceAll('_', ' ');
}

/** A suppression's reason (the mailer's: a client fact, an enrolment's end, a suppression list entry) in words. */
function reasonWords(reason: string): string {
  if (reason === 'dropped') return 'the provider refused this address earlier';
  return clause(cancelWords(reason));
}

/** A free-text reason as a clause: no trailing full stop (the sentence adds one). */
function clause(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

// ---------------------------------------------------------------------------------------
// Dates, via Intl en-US in the given zone

const formats = new Map<string, Intl.DateTimeFormat>();
function parts(instant: string, zone: string): Record<string, string> {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(zone, f);
  }
  return Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
}

/** "Mon 09:37" (24-hour). */
export function dayTime(instant: string, zone: string): string {
  const p = parts(instant, zone);
  return `${p.weekday} ${p.hour}:${p.minute}`;
}
/** "Mon". */
function weekday(instant: string, zone: string): string {
  return parts(instant, zone).weekday ?? '';
}
/** "Nov 29". */
export function monthDay(instant: string, zone: string): string {
  const p = parts(instant, zone);
  return `${p.month} ${p.day}`;
}

function cmp(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}
