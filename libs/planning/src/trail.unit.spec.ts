import type { Envelope, EventData, EventType } from '@realtoros/contracts';
import { describe, expect, it } from 'vitest';
import { cancelWords, emailTrail, taskTrail } from './trail.ts';

const AGENT = '0190a000-0000-7000-8000-0000000000a0';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const TASK = '0190a000-0000-7000-8000-0000000000b1';
const EMAIL = '0190a000-0000-7000-8000-0000000000e1';
const CHICAGO = 'America/Chicago';

let seq = 0;
function ev<T extends EventType>(type: T, occurred_at: string, data: EventData<T>): Envelope {
  return {
    id: `0190a000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
    type,
    schema: 1,
    agent_id: AGENT,
    aggregate: type.startsWith('Email') ? 'email' : 'task',
    aggregate_id: type.startsWith('Email') ? EMAIL : TASK,
    occurred_at,
    correlation_id: 'c',
    causation_id: null,
    data,
  } as Envelope;
}

const plan = (version: number) => ({
  enrollment_id: '0190a000-0000-7000-8000-0000000000f1',
  plan_id: '0190a000-0000-7000-8000-0000000000f2',
  plan_name: 'New lead',
  plan_version: version,
  step_id: 'day-3',
  step_index: 2,
  step_label: 'Day 3',
  action: 'email' as const,
  instructions: null,
  template_id: null,
});
const scheduledBase = { client_id: CLIENT, followup_type: 'Day 3' as const, priority: 'medium' as const, notes: null, version: 1 };

/** Planned Sat Nov 28 02:14 Chicago, moved by the window to Mon Nov 30 09:37 (CST = UTC−6). */
const planned = ev('TaskScheduled', '2026-11-29T15:00:00.000Z', {
  ...scheduledBase,
  origin: 'plan',
  scheduled_for: '2026-11-30T15:37:00.000Z',
  plan: plan(3),
  timing: { planned_for: '2026-11-28T08:14:00.000Z', time_zone: CHICAGO, placement: 'window' },
});

describe('taskTrail', () => {
  it('a held, moved and cancelled task, word for word', () => {
    const events = [
      planned,
      ev('TaskRescheduled', '2026-11-30T14:00:00.000Z', {
        client_id: CLIENT,
        scheduled_for: '2026-12-01T15:41:00.000Z',
        previous: '2026-11-30T15:37:00.000Z',
        version: 2,
        by: 'plan_change',
        plan: plan(4),
        timing: { planned_for: '2026-12-01T15:41:00.000Z', time_zone: CHICAGO, placement: 'window' },
      }),
      ev('TaskHeld', '2026-12-01T15:41:02.000Z', {
        client_id: CLIENT,
        reason: 'daily_cap',
        from: '2026-12-01T15:41:00.000Z',
        until: '2026-12-02T15:12:00.000Z',
        version: 3,
        cap: 150,
        time_zone: CHICAGO,
      }),
      ev('TaskCancelled', '2026-12-01T20:00:00.000Z', { client_id: CLIENT, reason: 'stage_lost' }),
    ];
    expect(taskTrail(events, { zone: 'America/New_York' })).toEqual([
      { at: '2026-11-29T15:00:00.000Z', event: 'TaskScheduled', text: "Planned from 'New lead' v3, step 2 (Day 3) on Nov 29." },
      {
        at: '2026-11-29T15:00:00.000Z',
        event: 'TaskScheduled',
        text: 'Moved from Sat 02:14 to Mon 09:37 by the sending window (America/Chicago).',
      },
      { at: '2026-11-30T14:00:00.000Z', event: 'TaskRescheduled', text: 'Moved to Tue 09:41 by an edit of the plan (v4).' },
      {
        at: '2026-12-01T15:41:02.000Z',
        event: 'TaskHeld',
        text: 'Held on Tue by the daily cap (150 automated emails a day); it goes Wed 09:12.',
      },
      { at: '2026-12-01T20:00:00.000Z', event: 'TaskCancelled', text: 'Cancelled because the stage became lost.' },
    ]);
  });

  it('a step placed inside the window says nothing about moving', () => {
    const inside = ev('TaskScheduled', '2026-11-25T15:00:00.000Z', {
      ...scheduledBase,
      origin: 'plan',
      scheduled_for: '2026-11-30T15:37:00.000Z',
      plan: plan(3),
      timing: { planned_for: '2026-11-30T15:37:00.000Z', time_zone: CHICAGO, placement: 'window' },
    });
    expect(taskTrail([inside]).map((i) => i.text)).toEqual(["Planned from 'New lead' v3, step 2 (Day 3) on Nov 25."]);
  });

  it('manual, legacy, agent, resume, pause, due, completed, skipped, failed', () => {
    const manual = ev('TaskScheduled', '2026-11-27T12:00:00.000Z', {
      ...scheduledBase,
      origin: 'manual',
      scheduled_for: '2026-11-30T15:00:00.000Z',
    });
    const legacy = ev('TaskScheduled', '2026-11-27T12:00:00.000Z', {
      ...scheduledBase,
      origin: 'plan',
      scheduled_for: '2026-11-30T15:00:00.000Z',
    });
    const t = (events: Envelope[], zone = 'America/New_York') => taskTrail(events, { zone }).map((i) => i.text);
    // No timing: opts.zone (New York, EST) → Mon 10:00.
    expect(t([manual])).toEqual(['Created by you for Mon 10:00.']);
    expect(taskTrail([manual]).map((i) => i.text)).toEqual(['Created by you for Mon 15:00.']); // UTC without a zone
    expect(t([legacy])).toEqual(["Planned as 'Day 3' of the standard follow-up."]);

    const reschedule = (by: 'agent' | 'resume' | undefined) =>
      ev('TaskRescheduled', '2026-11-28T12:00:00.000Z', {
        client_id: CLIENT,
        scheduled_for: '2026-12-01T19:00:00.000Z',
        previous: '2026-11-30T15:00:00.000Z',
        version: 2,
        ...(by ? { by } : {}),
      });
    expect(t([reschedule('agent')])).toEqual(['Rescheduled by you to Tue 14:00.']);
    expect(t([reschedule(undefined)])).toEqual(['Rescheduled by you to Tue 14:00.']);
    expect(t([reschedule('resume')])).toEqual(['Moved to Tue 14:00 when the plan resumed.']);

    const held = ev('TaskHeld', '2026-11-28T12:00:00.000Z', {
      client_id: CLIENT,
      reason: 'paused',
      from: '2026-11-30T15:00:00.000Z',
      until: null,
      version: 2,
    });
    expect(t([held])).toEqual(['Held: the plan is paused.']);

    const due = (action?: 'email' | 'email_review' | 'task') =>
      ev('TaskDue', '2026-11-30T15:37:01.000Z', {
        client_id: CLIENT,
        followup_type: 'Day 3',
        scheduled_for: '2026-11-30T15:37:00.000Z',
        version: 1,
        fired_at: '2026-11-30T15:37:01.000Z',
        ...(action ? { action } : {}),
      });
    // TaskDue carries no zone: the task's own (from its planned timing) is used.
    expect(t([planned, due()]).at(-1)).toBe('Due Mon 09:37: the email is being written.');
    expect(t([planned, due('task')]).at(-1)).toBe('Due Mon 09:37: a reminder for you to call or text.');
    expect(t([planned, due('email_review')]).at(-1)).toBe(
      'Due Mon 09:37: the email is being written (review before sending comes later; it is sent as written).',
    );

    const at = '2026-11-30T16:00:00.000Z';
    expect(t([ev('TaskCompleted', at, { client_id: CLIENT, by: 'email', email_id: EMAIL, completed_at: at })])).toEqual([
      'Completed: the email was sent.',
    ]);
    expect(t([ev('TaskCompleted', at, { client_id: CLIENT, by: 'agent', email_id: null, completed_at: at })])).toEqual([
      'Completed by you.',
    ]);
    expect(t([ev('TaskSkipped', at, { client_id: CLIENT })])).toEqual(['Skipped by you.']);
    expect(t([ev('TaskFailed', at, { client_id: CLIENT, reason: 'the AI provider timed out.', email_id: null })])).toEqual([
      'Failed: the AI provider timed out.',
    ]);
    expect(t([ev('TaskDetailsChanged', at, { client_id: CLIENT, priority: 'high' })])).toEqual([]);
  });

  it('a plan edit that keeps the time says so', () => {
    const edit = ev('TaskRescheduled', '2026-11-28T12:00:00.000Z', {
      client_id: CLIENT,
      scheduled_for: '2026-11-30T15:37:00.000Z',
      previous: '2026-11-30T15:37:00.000Z',
      version: 2,
      by: 'plan_change',
      plan: plan(4),
      timing: { planned_for: '2026-11-28T08:14:00.000Z', time_zone: CHICAGO, placement: 'window' },
    });
    expect(taskTrail([edit]).map((i) => i.text)).toEqual(['Changed by an edit of the plan (v4); it still goes Mon 09:37.']);
  });

  it.each([
    ['stage_lost', 'the stage became lost'],
    ['stage_closed', 'the stage became closed'],
    ['stage_under_contract', 'the stage became under contract'],
    ['replaced', 'the client was enrolled in another plan'],
    ['manual', 'you ended the plan'],
    ['deleted', 'the client was deleted'],
    ['client_deleted', 'the client was deleted'],
    ['unsubscribed', 'the client unsubscribed'],
    ['client_unsubscribed', 'the client unsubscribed'],
    ['bounced', 'an email to the client bounced'],
    ['spam_reported', 'the client reported an email as spam'],
    ['replied', 'the client replied'],
    ['step_removed', 'its step was removed from the plan'],
    ['plan_deleted', 'the plan was deleted'],
    ['completed', 'the plan was completed'],
    ['conversation', 'a conversation started'],
  ])('cancelled: %s → "%s"', (reason, words) => {
    expect(cancelWords(reason)).toBe(words);
    const e = ev('TaskCancelled', '2026-11-30T16:00:00.000Z', {
      client_id: CLIENT,
      reason: reason as EventData<'TaskCancelled'>['reason'],
    });
    expect(taskTrail([e]).map((i) => i.text)).toEqual([`Cancelled because ${words}.`]);
  });
});

describe('emailTrail', () => {
  const ref = { task_id: TASK, client_id: CLIENT };
  const generated = ev('EmailGenerated', '2026-11-30T15:38:05.000Z', {
    task_id: TASK,
    client_id: CLIENT,
    followup_type: 'Day 3',
    to_email: 'maria@example.com',
    to_name: 'Maria',
    subject: 'Hello',
    body: 'Hi',
    provider: 'openai',
    model: 'gpt',
    prompt_version: 'v1',
    fallback_reason: null,
  } as EventData<'EmailGenerated'>);
  const due = ev('TaskDue', '2026-11-30T15:37:01.000Z', {
    client_id: CLIENT,
    followup_type: 'Day 3',
    scheduled_for: '2026-11-30T15:37:00.000Z',
    version: 1,
    fired_at: '2026-11-30T15:37:01.000Z',
  });

  it("merges the task's decisions and the email's in time order, in the task's zone", () => {
    const sent = ev('EmailSent', '2026-11-30T15:38:30.000Z', {
      ...ref,
      to_email: 'maria@example.com',
      provider: 'sendgrid',
      message_id: 'm1',
      sent_at: '2026-11-30T15:38:30.000Z',
      attempts: 1,
    } as EventData<'EmailSent'>);
    expect(emailTrail([planned, due], [sent, generated], { zone: 'UTC' }).map((i) => `${i.event}: ${i.text}`)).toEqual([
      "TaskScheduled: Planned from 'New lead' v3, step 2 (Day 3) on Nov 29.",
      'TaskScheduled: Moved from Sat 02:14 to Mon 09:37 by the sending window (America/Chicago).',
      'TaskDue: Due Mon 09:37: the email is being written.',
      'EmailGenerated: Written by openai on Mon 09:38.',
      'EmailSent: Sent on Mon 09:38.',
    ]);
  });

  it('not sent, failed, not written; no task → opts.zone', () => {
    const at = '2026-11-30T15:39:00.000Z';
    const texts = (e: Envelope) => emailTrail([], [e], { zone: CHICAGO }).map((i) => i.text);
    expect(
      texts(ev('EmailSuppressed', at, { ...ref, to_email: 'maria@example.com', reason: 'stage_lost' } as EventData<'EmailSuppressed'>)),
    ).toEqual(['Not sent: the stage became lost.']);
    expect(
      texts(ev('EmailSuppressed', at, { ...ref, to_email: 'maria@example.com', reason: 'client_deleted' } as EventData<'EmailSuppressed'>)),
    ).toEqual(['Not sent: the client was deleted.']);
    expect(
      texts(
        ev('EmailFailed', at, { ...ref, provider: 'sendgrid', reason: 'SendGrid answered 401', attempts: 3 } as EventData<'EmailFailed'>),
      ),
    ).toEqual(['Sending failed: SendGrid answered 401.']);
    expect(texts(ev('EmailGenerationFailed', at, { task_id: TASK, client_id: CLIENT, reason: 'no API key' }))).toEqual([
      'Could not be written: no API key.',
    ]);
    expect(texts(generated)).toEqual(['Written by openai on Mon 09:38.']);
  });
});
