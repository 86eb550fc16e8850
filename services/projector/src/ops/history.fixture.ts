// A brokerage's history for replay tests and the replay benchmark: many agents, each with a
// default plan and settings, and clients that are created, edited, staged, enrolled; their
// follow-ups scheduled, rescheduled, held, due, completed, cancelled; emails drafted,
// reviewed, generated, sent, delivered, opened, clicked, bounced; replies, activities, pauses.
// Every event is built with newEvent (validated), in causal order per client (the order the
// services would append them), about 21 events per client across the four streams.
import { createHash } from 'node:crypto';
import type { Envelope, EventData, EventType } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';

/** A uuid from a name (v8 layout): the same history every run, no clock or randomness. */
const id = (...parts: (string | number)[]) => {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export type HistoryOptions = { agents: number; clientsPerAgent: number; seed?: string; start?: Date };

/** Events in append order; lazily, so a million of them never sit in memory at once. */
export function* brokerageHistory(opts: HistoryOptions): Generator<Envelope> {
  const seed = opts.seed ?? 'history';
  const t0 = (opts.start ?? new Date(Date.UTC(2026, 9, 1, 9))).getTime();
  let clock = 0;
  const at = () => new Date(t0 + clock++ * 1000);
  const ev = <T extends EventType>(type: T, agentId: string, aggregateId: string, data: EventData<T>): Envelope => {
    const occurredAt = at();
    return newEvent(type, {
      id: id(seed, 'event', clock),
      agentId,
      aggregateId,
      data,
      correlationId: `${seed}-${clock}`,
      causationId: null,
      occurredAt,
    }) as Envelope;
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const steps = [
    { id: 'day-1', label: 'Day 1', offset_days: 1 },
    { id: 'day-3', label: 'Day 3', offset_days: 3 },
    { id: 'week-1', label: 'Week 1', offset_days: 7 },
    { id: 'week-2', label: 'Week 2', offset_days: 14 },
    { id: 'month-1', label: 'Month 1', offset_days: 30 },
  ] as const;
  const followup = ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1'] as const;

  for (let a = 0; a < opts.agents; a++) {
    const agent = id(seed, 'agent', a);
    const plan = id(seed, 'plan', a);
    yield ev('AgentRegistered', agent, agent, {
      email: `agent${a}@${seed}.example.com`,
      name: `Agent ${a}`,
      password_hash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
    });
    yield ev('AgentSettingsChanged', agent, agent, { changes: { time_zone: 'America/Chicago', daily_cap: 50 + a } });
    if (a % 3 === 0) yield ev('AgentSettingsChanged', agent, agent, { changes: { review_by_default: true, signature: `— Agent ${a}` } });
    // The audit log (issue 13): entries on the agent's own subject, ids and keys only.
    yield ev('AuditRecorded', agent, agent, {
      action: 'auth.signed_up',
      ip: `203.0.113.${a % 250}`,
      user_agent: 'Mozilla/5.0 (Macintosh)',
    });
    yield ev('AuditRecorded', agent, agent, {
      action: 'settings.changed',
      ip: null,
      user_agent: null,
      detail: { keys: ['daily_cap', 'time_zone'] },
    });
    yield ev('AuditRecorded', agent, agent, {
      action: 'plan.created',
      ip: '2001:db8::1',
      user_agent: null,
      target_type: 'plan',
      target_id: plan,
    });
    yield ev('PlanCreated', agent, plan, {
      name: 'Standard follow-up',
      version: 1,
      steps: steps.map((s, i) => ({
        ...s,
        time_of_day: null,
        priority: i === 0 ? ('high' as const) : ('medium' as const),
        action: 'email' as const,
        instructions: null,
        template_id: null,
      })),
      stop_stages: ['lost', 'closed'],
      stage_trigger: null,
      is_default: true,
      on_reply: 'end',
    });

    for (let c = 0; c < opts.clientsPerAgent; c++) {
      const n = a * opts.clientsPerAgent + c;
      const client = id(seed, 'client', n);
      const enrollment = id(seed, 'enrollment', n);
      const email = `client${n}@${seed}.example.com`;
      const created = at().getTime();
      yield ev('ClientCreated', agent, client, {
        name: `Client ${n}`,
        email,
        phone: n % 2 ? `555-${String(n % 10000).padStart(4, '0')}` : null,
        property_address: `${n} Main St`,
        property_type: 'residential',
        notes: n % 4 === 0 ? 'Prefers mornings; looking in the north side.' : null,
        custom_fields: { budget: 300_000 + n, source: 'open house' },
        stage: 'lead',
        time_zone: n % 5 === 0 ? 'America/Denver' : null,
        ...(n % 6 === 0 ? { tags: ['VIP', `Zone ${n % 5}`] } : {}),
      });
      yield ev('ClientEnrolled', agent, client, {
        client_id: client,
        enrollment_id: enrollment,
        plan_id: plan,
        plan_name: 'Standard follow-up',
        plan_version: 1,
        enrolled_at: iso(created),
        source: 'created',
      });
      const tasks = steps.map((_, i) => id(seed, 'task', n, i));
      for (const [i, s] of steps.entries()) {
        const when = created + s.offset_days * 86_400_000;
        yield ev('TaskScheduled', agent, tasks[i] as string, {
          client_id: client,
          followup_type: followup[i] as (typeof followup)[number],
          scheduled_for: iso(when),
          priority: i === 0 ? 'high' : 'medium',
          notes: null,
          version: 1,
          origin: 'plan',
          plan: {
            enrollment_id: enrollment,
            plan_id: plan,
            plan_name: 'Standard follow-up',
            plan_version: 1,
            step_id: s.id,
            step_index: i + 1,
            step_label: s.label,
            action: 'email',
            instructions: null,
            template_id: null,
          },
          timing: { planned_for: iso(when - 3_600_000), time_zone: 'America/Chicago', placement: 'window' },
        });
      }
      if (n % 2 === 0)
        yield ev('ClientUpdated', agent, client, {
          changes: { phone: `555-${String(n % 9000).padStart(4, '1')}`, ...(n % 4 === 0 ? { tags: ['Buyer', `Zone ${n % 3}`] } : {}) },
        });
      if (n % 3 === 0)
        yield ev('ClientStageChanged', agent, client, {
          from: 'lead',
          to: 'contacted',
          changes: { notes: `called on day ${n % 7}`, ...(n % 9 === 0 ? { tags: n % 2 ? ['Seller'] : [] } : {}) },
        });
      if (n % 7 === 0)
        yield ev('ActivityLogged', agent, client, {
          activity_id: id(seed, 'activity', n),
          kind: 'call',
          body: 'Talked about the listing on Elm St.',
          stop_followups: false,
          logged_at: iso(created + 3_600_000),
        });
      if (n % 10 === 1) {
        yield ev('EnrollmentPaused', agent, client, { client_id: client, enrollment_id: enrollment, reason: 'manual', until: null });
        yield ev('TaskHeld', agent, tasks[0] as string, {
          client_id: client,
          reason: 'paused',
          from: iso(created + 86_400_000),
          until: null,
          version: 2,
        });
        yield ev('EnrollmentResumed', agent, client, { client_id: client, enrollment_id: enrollment, paused_ms: 7_200_000 });
      }
      if (n % 5 === 2)
        yield ev('TaskRescheduled', agent, tasks[3] as string, {
          client_id: client,
          scheduled_for: iso(created + 15 * 86_400_000),
          previous: iso(created + 14 * 86_400_000),
          version: 2,
          by: 'agent',
        });
      // The first steps fall due and are emailed (the first two), the third waits for the agent.
      for (let i = 0; i < 3; i++) {
        const task = tasks[i] as string;
        const due = created + (steps[i]?.offset_days ?? 1) * 86_400_000;
        yield ev('TaskDue', agent, task, {
          client_id: client,
          followup_type: followup[i] as (typeof followup)[number],
          scheduled_for: iso(due),
          version: n % 10 === 1 && i === 0 ? 2 : 1,
          fired_at: iso(due + 40),
          action: 'email',
          step_label: steps[i]?.label,
        });
        if (i === 2) continue;
        const emailId = id(seed, 'email', n, i);
        const draft = {
          task_id: task,
          client_id: client,
          followup_type: followup[i] as (typeof followup)[number],
          to_email: email,
          to_name: `Client ${n}`,
          subject: `Following up on ${n} Main St`,
          body: `Hi Client ${n},\n\nI wanted to follow up about the house. Let me know a good time to talk.\n\nBest,\nAgent ${a}`,
          provider: 'openai',
          model: 'gpt-4o-mini',
          prompt_version: 'v3',
          fallback_reason: null,
        };
        if (n % 9 === 0 && i === 0) {
          yield ev('EmailAwaitingApproval', agent, emailId, {
            ...draft,
            facts: [{ label: 'Stage', value: 'lead' }],
            review_reason: 'default',
            revision: 1,
          });
          if (n % 18 === 0) {
            yield ev('EmailRejected', agent, emailId, {
              task_id: task,
              client_id: client,
              by: agent,
              rejected_at: iso(due + 60_000),
              reason: 'not now',
            });
            yield ev('TaskSkipped', agent, task, { client_id: client });
            continue;
          }
          yield ev('EmailApproved', agent, emailId, {
            task_id: task,
            client_id: client,
            by: agent,
            approved_at: iso(due + 60_000),
            revision: 1,
            edited: false,
          });
        }
        yield ev('EmailGenerated', agent, emailId, { ...draft, facts: [{ label: 'Stage', value: 'lead' }] });
        const sentAt = due + 120_000;
        yield ev('EmailSent', agent, emailId, {
          task_id: task,
          client_id: client,
          to_email: email,
          provider: 'sendgrid',
          message_id: `sg-${n}-${i}`,
          sent_at: iso(sentAt),
          attempts: 1,
        });
        yield ev('TaskCompleted', agent, task, { client_id: client, by: 'email', email_id: emailId, completed_at: iso(sentAt) });
        const report = (type: 'EmailDelivered' | 'EmailOpened' | 'EmailClicked' | 'EmailBounced', event: string, k: number) =>
          ev(type, agent, emailId, {
            task_id: task,
            client_id: client,
            sg_event_id: `sg-ev-${n}-${i}-${k}`,
            event,
            timestamp: iso(sentAt + (k + 1) * 60_000),
            ...(type === 'EmailClicked' ? { url: 'https://example.com/listing' } : {}),
            ...(type === 'EmailBounced' ? { reason: '550 mailbox unavailable' } : {}),
          });
        if (n % 50 === 3) {
          yield report('EmailBounced', 'bounce', 0);
          continue;
        }
        yield report('EmailDelivered', 'delivered', 0);
        if ((n + i) % 5 < 3) yield report('EmailOpened', 'open', 1);
        if ((n + i) % 5 === 0) yield report('EmailOpened', 'open', 2);
        if ((n + i) % 5 === 0) yield report('EmailClicked', 'click', 3);
      }
      if (n % 20 === 4) {
        yield ev('ClientReplied', agent, client, {
          client_id: client,
          inbound_id: id(seed, 'inbound', n),
          email_id: id(seed, 'email', n, 0),
          matched_by: 'token',
          from_email: email,
          from_name: `Client ${n}`,
          subject: 'Re: Following up',
          text: 'Thanks! Saturday works for me.',
          received_at: iso(created + 2 * 86_400_000),
          auto_reply: n % 40 === 4 ? 'out of office' : null,
          message_id: `<reply-${n}@mail.example.com>`,
          attachments: [],
        });
      }
      if (n % 33 === 5) {
        yield ev('EnrollmentEnded', agent, client, { client_id: client, enrollment_id: enrollment, plan_id: plan, reason: 'replied' });
        yield ev('TaskCancelled', agent, tasks[3] as string, { client_id: client, reason: 'replied' });
        yield ev('TaskCancelled', agent, tasks[4] as string, { client_id: client, reason: 'replied' });
      }
      if (n % 29 === 6) yield ev('ClientDeleted', agent, client, { email });
      if (n % 31 === 7) yield ev('ClientUnsubscribed', agent, client, { source: 'link', at: iso(created + 5 * 86_400_000) });
    }
  }
}

/** About how many events `brokerageHistory` makes per client (for sizing a run). */
export const EVENTS_PER_CLIENT = 21;
