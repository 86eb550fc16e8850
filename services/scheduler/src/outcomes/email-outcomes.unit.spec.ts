import { newEvent } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { decide } from '../task/decide.ts';
import { fold, type TaskEvent } from '../task/task.ts';
import { emailOutcomeCommand } from './email-outcomes.listener.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const EMAIL = '0190a000-0000-7000-8000-0000000000e1';
const NOW = '2026-11-22T10:00:05.000Z';
const ref = { agentId: AGENT, aggregateId: EMAIL, correlationId: 'c', causationId: null };

const dueTask = fold([
  { type: 'TaskScheduled', agent_id: AGENT, aggregate_id: TASK, occurred_at: NOW, data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: NOW, priority: 'high', notes: null, version: 1, origin: 'plan' } },
  { type: 'TaskDue', agent_id: AGENT, aggregate_id: TASK, occurred_at: NOW, data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: NOW, version: 1, fired_at: NOW } },
] as TaskEvent[]);

describe('email outcomes → task', () => {
  it('given a due task, when EmailSent for it, then TaskCompleted by email with the email id', () => {
    const sent = newEvent('EmailSent', { ...ref, data: { task_id: TASK, client_id: CLIENT, to_email: 'a@example.com', provider: 'outbox', message_id: 'm', sent_at: NOW, attempts: 1 } });
    const o = emailOutcomeCommand(sent, NOW);
    expect(o?.taskId).toBe(TASK);
    expect(decide(o?.command ?? { type: 'SkipTask' }, dueTask)).toEqual([
      { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: EMAIL, completed_at: NOW } },
    ]);
  });

  it('given a due task whose email outcome was unknown, when the agent marks it sent (EmailSent confirmed by the agent), then TaskCompleted by email', () => {
    const confirmed = newEvent('EmailSent', {
      ...ref, data: { task_id: TASK, client_id: CLIENT, to_email: 'a@example.com', provider: 'sendgrid', message_id: 'unknown', sent_at: NOW, attempts: 1, confirmed_by: 'agent' },
    });
    const o = emailOutcomeCommand(confirmed, NOW);
    expect(o?.taskId).toBe(TASK);
    expect(decide(o?.command ?? { type: 'SkipTask' }, dueTask)).toEqual([
      { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: EMAIL, completed_at: NOW } },
    ]);
  });

  it('given a due task whose email outcome was unknown, when SendGrid reports on it (EmailSent confirmed by the provider), then TaskCompleted by email', () => {
    const confirmed = newEvent('EmailSent', {
      ...ref, data: { task_id: TASK, client_id: CLIENT, to_email: 'a@example.com', provider: 'sendgrid', message_id: 'sg-msg-1', sent_at: NOW, attempts: 1, confirmed_by: 'provider' },
    });
    const o = emailOutcomeCommand(confirmed, NOW);
    expect(o?.taskId).toBe(TASK);
    expect(decide(o?.command ?? { type: 'SkipTask' }, dueTask)).toEqual([
      { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: EMAIL, completed_at: NOW } },
    ]);
  });

  it.each([
    ['EmailFailed (SendGrid dropped an email whose outcome was unknown)', newEvent('EmailFailed', { ...ref, data: { task_id: TASK, client_id: CLIENT, provider: 'sendgrid', reason: 'SendGrid dropped it: Bounced Address', attempts: 1 } }), /sending failed: SendGrid dropped it: Bounced Address/],
    ['EmailFailed', newEvent('EmailFailed', { ...ref, data: { task_id: TASK, client_id: CLIENT, provider: 'sendgrid', reason: '500 from provider', attempts: 3 } }), /sending failed: 500/],
    ['EmailSuppressed', newEvent('EmailSuppressed', { ...ref, data: { task_id: TASK, client_id: CLIENT, to_email: 'a@example.com', reason: 'bounced before' } }), /not sent: bounced/],
    ['EmailGenerationFailed', newEvent('EmailGenerationFailed', { ...ref, data: { task_id: TASK, client_id: CLIENT, reason: 'model down' } }), /generation failed: model down/],
  ] as const)('given a due task, when %s, then TaskFailed with the reason', (_name, event, reason) => {
    const o = emailOutcomeCommand(event, NOW);
    const [failed] = decide(o?.command ?? { type: 'SkipTask' }, dueTask);
    expect(failed?.type).toBe('TaskFailed');
    expect(failed?.type === 'TaskFailed' && failed.data.reason).toMatch(reason);
  });

  it('an unknown send outcome, a resend request, an email without a task, or an engagement event leave tasks alone', () => {
    expect(emailOutcomeCommand(newEvent('EmailSendUnknown', { ...ref, data: { task_id: TASK, client_id: CLIENT, provider: 'sendgrid', reason: 'crashed' } }), NOW)).toBeNull();
    expect(emailOutcomeCommand(newEvent('EmailResendRequested', { ...ref, data: { task_id: TASK, client_id: CLIENT } }), NOW)).toBeNull();
    expect(
      emailOutcomeCommand(newEvent('EmailSent', { ...ref, data: { task_id: null, client_id: CLIENT, to_email: 'a@example.com', provider: 'outbox', message_id: 'm', sent_at: NOW, attempts: 1 } }), NOW),
    ).toBeNull();
    expect(
      emailOutcomeCommand(newEvent('EmailOpened', { ...ref, data: { task_id: TASK, client_id: CLIENT, sg_event_id: 's', event: 'open', timestamp: NOW } }), NOW),
    ).toBeNull();
  });
});
