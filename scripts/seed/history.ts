import type { Envelope, EventData, EventType, FollowupType } from '@realtoros/contracts';
import { deterministicId, newEvent } from '@realtoros/messaging';
import { planTaskId } from '@realtoros/planning';

/**
 * The demo agent's past (issue 10): clients added over the last six weeks and what their
 * plan did — follow-ups due, emails written, sent, delivered, opened, clicked; one bounced,
 * one answered, one waiting for the agent's review — as the services would have recorded
 * it, event by event, at the times it would have happened. Appended as recorded history
 * (AppendOptions.history): the read models show it, no service acts on it (nothing is
 * planned, written or sent for the past). Ids derive from the agent, so the same agent's
 * history is the same events every time.
 */
export type DemoPlan = { id: string; name: string; version: number; steps: { id: string; label: string; offset_days: number }[] };
export type HistoryClient = { id: string; name: string; email: string };

const DAY = 86_400_000;
/** The past clients' email domain (reserved for examples; none of today's demo clients use it). */
export const HISTORY_DOMAIN = 'past.example.com';
const FOLLOWUPS: FollowupType[] = ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1'];

/** People and homes of the past (invented; example.* addresses, 555-01xx numbers). */
const PAST = [
  { name: 'Nora Bennett', street: '212 Juniper Ln', type: 'residential', stage: 'qualified', note: 'Downsizing after the kids moved out.' },
  { name: 'Marcus Reed', street: '48 Harbor View Rd', type: 'residential', stage: 'contacted', note: 'Wants a view of the water.' },
  { name: 'Sofia Alvarez', street: '9 Cedar Ct', type: 'residential', stage: 'negotiating', note: 'Pre-approved, two offers in.' },
  { name: 'Ethan Brooks', street: '1502 Commerce St', type: 'commercial', stage: 'lead', note: 'Looking for a small retail unit.' },
  { name: 'Hannah Kim', street: '77 Orchard Way', type: 'residential', stage: 'lead', note: 'Met at the spring open house.' },
  { name: 'Daniel Okafor', street: '300 Mill Pond Dr', type: 'multi_family', stage: 'qualified', note: 'Investor: duplexes near campus.' },
  { name: 'Grace Liu', street: '18 Willow Bend', type: 'residential', stage: 'contacted', note: 'Relocating in the summer.' },
  { name: 'Noah Fischer', street: '5 Prairie Rd', type: 'land', stage: 'lead', note: 'Two acres to build on.' },
  { name: 'Chloe Martin', street: '640 Elm St #3', type: 'rental', stage: 'contacted', note: 'First rental property.' },
  { name: 'Liam Walsh', street: '27 Birch Hollow', type: 'residential', stage: 'under_contract', note: 'Closing set for next month.' },
  { name: 'Ava Thompson', street: '93 Lakeshore Blvd', type: 'residential', stage: 'qualified', note: 'Needs a home office.' },
  { name: 'Lucas Moreau', street: '410 Granite Ave', type: 'residential', stage: 'lead', note: 'Asked about the school district.' },
  { name: 'Mia Rossi', street: '15 Vine St', type: 'residential', stage: 'contacted', note: 'Prefers text messages.' },
  { name: 'Benjamin Cho', street: '2200 Ridge Pkwy', type: 'commercial', stage: 'lead', note: 'Office space for a team of 12.' },
] as const;
/** Days ago each was added: spread over six weeks, the newest three days ago. */
const ADDED_DAYS_AGO = [41, 38, 35, 32, 29, 26, 23, 20, 17, 14, 11, 8, 5, 3];
const BOUNCES = 4; // Hannah's address bounces on the first email
const REPLIES = 2; // Sofia answers the second email
const REVIEW = 12; // Mia's latest email waits for the agent

export function demoHistory(opts: { agentId: string; agentName: string; plan: DemoPlan; now: Date }): {
  events: Envelope[];
  clients: HistoryClient[];
} {
  const { agentId, agentName, plan } = opts;
  const now = opts.now.getTime();
  const events: Envelope[] = [];
  const idOf = (...parts: string[]) => deterministicId('demo-history', agentId, ...parts);
  const push = <T extends EventType>(type: T, aggregateId: string, data: EventData<T>, at: number, key: string) =>
    events.push(
      newEvent(type, {
        id: idOf('event', key),
        agentId,
        aggregateId,
        data,
        correlationId: idOf('story', aggregateId),
        causationId: null,
        occurredAt: new Date(at),
      }) as Envelope,
    );
  const iso = (ms: number) => new Date(ms).toISOString();
  const first = agentName.split(' ')[0] ?? agentName;
  const clients: HistoryClient[] = [];

  for (const [n, p] of PAST.entries()) {
    const clientId = idOf('client', String(n));
    // Their own reserved domain: never one of today's demo clients' addresses.
    const email = `${p.name.toLowerCase().replace(/[^a-z]+/g, '.')}@${HISTORY_DOMAIN}`;
    const given = p.name.split(' ')[0] ?? p.name;
    // Added mid-morning, a little later each day.
    const added = Math.floor((now - (ADDED_DAYS_AGO[n] ?? 10) * DAY) / DAY) * DAY + (15 + (n % 4)) * 3_600_000;
    clients.push({ id: clientId, name: p.name, email });
    push(
      'ClientCreated',
      clientId,
      {
        name: p.name,
        email,
        phone: `(512) 555-01${String(10 + n).padStart(2, '0')}`,
        property_address: `${p.street}, Austin, TX`,
        property_type: p.type,
        notes: p.note,
        custom_fields: { source: n % 3 === 0 ? 'open house' : n % 3 === 1 ? 'Zillow inquiry' : 'referral' },
        stage: 'lead',
        plan_id: null,
      },
      added,
      `${n}-created`,
    );
    const enrollmentId = idOf('enrollment', String(n));
    push(
      'ClientEnrolled',
      clientId,
      {
        client_id: clientId,
        enrollment_id: enrollmentId,
        plan_id: plan.id,
        plan_name: plan.name,
        plan_version: plan.version,
        enrolled_at: iso(added),
        source: 'created',
      },
      added + 1000,
      `${n}-enrolled`,
    );
    if (p.stage !== 'lead') {
      const to = p.stage;
      push('ClientStageChanged', clientId, { from: 'lead', to }, added + 2 * DAY + 3_600_000, `${n}-stage`);
    }
    if (n % 4 === 1)
      push(
        'ActivityLogged',
        clientId,
        {
          activity_id: idOf('activity', String(n)),
          kind: 'call',
          body: `Called ${given}: talked through the neighbourhood and what to see first.`,
          stop_followups: false,
          logged_at: iso(added + DAY + 5_400_000),
        },
        added + DAY + 5_400_000,
        `${n}-call`,
      );

    // The plan's steps that fell due before now (the rest belong to the future, and only the
    // live system plans that: recorded history arms no timer).
    for (const [i, step] of plan.steps.entries()) {
      const due = added + step.offset_days * DAY;
      if (due > now - 2 * 3_600_000) break;
      const taskId = planTaskId(enrollmentId, step.id);
      const followup = FOLLOWUPS[i] ?? 'Custom';
      const ref = {
        enrollment_id: enrollmentId,
        plan_id: plan.id,
        plan_name: plan.name,
        plan_version: plan.version,
        step_id: step.id,
        step_index: i + 1,
        step_label: step.label,
        action: 'email' as const,
        instructions: null,
        template_id: null,
      };
      push(
        'TaskScheduled',
        taskId,
        {
          client_id: clientId,
          followup_type: followup,
          scheduled_for: iso(due),
          priority: i === 0 ? 'high' : 'medium',
          notes: null,
          version: 1,
          origin: 'plan',
          plan: ref,
        },
        added + 2000 + i,
        `${n}-${i}-scheduled`,
      );
      push(
        'TaskDue',
        taskId,
        {
          client_id: clientId,
          followup_type: followup,
          scheduled_for: iso(due),
          version: 1,
          fired_at: iso(due + 200),
          action: 'email',
          step_label: step.label,
        },
        due + 200,
        `${n}-${i}-due`,
      );
      const emailId = idOf('email', String(n), String(i));
      const draft = {
        task_id: taskId,
        client_id: clientId,
        followup_type: followup,
        to_email: email,
        to_name: p.name,
        subject: SUBJECTS[i % SUBJECTS.length]?.(p.street) ?? `About ${p.street}`,
        body: `Hi ${given},\n\n${LINES[i % LINES.length]?.(p.street)}\n\nBest,\n${first}`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        prompt_version: 'v3',
        fallback_reason: null,
        facts: [
          { label: 'Stage', value: p.stage },
          { label: 'Property', value: p.street },
        ],
      };
      if (n === REVIEW && step.offset_days > 1) {
        push('EmailAwaitingApproval', emailId, { ...draft, review_reason: 'default', revision: 1 }, due + 30_000, `${n}-${i}-review`);
        break; // it waits for the agent; the plan goes on once it is approved or rejected
      }
      push('EmailGenerated', emailId, draft, due + 30_000, `${n}-${i}-generated`);
      const sentAt = due + 60_000;
      push(
        'EmailSent',
        emailId,
        {
          task_id: taskId,
          client_id: clientId,
          to_email: email,
          provider: 'sendgrid',
          message_id: `demo-${n}-${i}`,
          sent_at: iso(sentAt),
          attempts: 1,
        },
        sentAt,
        `${n}-${i}-sent`,
      );
      push(
        'TaskCompleted',
        taskId,
        { client_id: clientId, by: 'email', email_id: emailId, completed_at: iso(sentAt) },
        sentAt,
        `${n}-${i}-completed`,
      );
      const report = (type: 'EmailDelivered' | 'EmailOpened' | 'EmailClicked' | 'EmailBounced', event: string, afterMs: number) =>
        push(
          type,
          emailId,
          {
            task_id: taskId,
            client_id: clientId,
            sg_event_id: idOf('sg', String(n), String(i), event),
            event,
            timestamp: iso(sentAt + afterMs),
            ...(type === 'EmailClicked' ? { url: 'https://example.com/listings' } : {}),
            ...(type === 'EmailBounced' ? { reason: '550 5.1.1 mailbox unavailable' } : {}),
          },
          sentAt + afterMs,
          `${n}-${i}-${event}`,
        );
      if (n === BOUNCES) {
        report('EmailBounced', 'bounce', 40_000);
        push(
          'EnrollmentEnded',
          clientId,
          { client_id: clientId, enrollment_id: enrollmentId, plan_id: plan.id, reason: 'bounced' },
          sentAt + 41_000,
          `${n}-ended`,
        );
        break;
      }
      report('EmailDelivered', 'delivered', 20_000);
      // Most are opened, hours later; some clicked.
      if ((n + i) % 5 !== 4) report('EmailOpened', 'open', (2 + ((n * 7 + i) % 9)) * 3_600_000);
      if ((n + i) % 3 === 0) report('EmailClicked', 'click', (3 + ((n * 7 + i) % 9)) * 3_600_000);
      if (n === REPLIES && i === 1) {
        const received = sentAt + 5 * 3_600_000;
        push(
          'ClientReplied',
          clientId,
          {
            client_id: clientId,
            inbound_id: idOf('inbound', String(n)),
            email_id: emailId,
            matched_by: 'token',
            from_email: email,
            from_name: p.name,
            subject: `Re: ${draft.subject}`,
            text: 'Thank you! Saturday morning works for us — could we also see the one on Maple?',
            received_at: iso(received),
            auto_reply: null,
            message_id: `<demo-reply-${n}@mail.example.com>`,
            attachments: [],
          },
          received,
          `${n}-replied`,
        );
        push(
          'EnrollmentEnded',
          clientId,
          { client_id: clientId, enrollment_id: enrollmentId, plan_id: plan.id, reason: 'replied' },
          received + 1000,
          `${n}-ended`,
        );
        break;
      }
    }
  }
  return { events, clients };
}

const SUBJECTS: ((street: string) => string)[] = [
  () => 'Great to meet you',
  (street) => `A few homes like ${street}`,
  () => 'New listings this week',
  () => 'Checking in on your search',
  () => 'How the market moved this month',
];
const LINES: ((street: string) => string)[] = [
  () => 'Thank you for reaching out — it was great to talk. I put together a short list of places worth a look.',
  (street) => `I found three homes close to what you liked about ${street}. Would Saturday work to see them?`,
  () => 'A couple of new listings came up this week that fit what you described. Happy to send details.',
  () => 'Just checking in — has anything changed in what you are looking for? I am here when you are ready.',
  () => 'Prices in your area held steady this month and two homes sold above asking. Want the numbers?',
];
