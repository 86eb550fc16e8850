import { formatDateTime } from './format.ts';
import {
  EMAIL_STATUS_LABELS,
  ENDED_REASON_LABELS,
  HOLD_REASON_LABELS,
  labelOf,
  PROPERTY_TYPE_LABELS,
  STAGE_LABELS,
  type Tone,
} from './vocab.ts';

export type TimelineItem = {
  stream: string;
  seq: number;
  type: string;
  aggregate?: string;
  aggregate_id?: string;
  occurred_at: string;
  data: unknown;
};
export type Described = {
  title: string;
  detail: string | null;
  tone: Tone;
  icon: 'users' | 'calendar' | 'check' | 'skip' | 'alert' | 'mail' | 'eye' | 'pointer' | 'sparkle' | 'edit' | 'trash' | 'clock';
};

const FIELD_LABELS: Record<string, string> = {
  name: 'name',
  email: 'email',
  phone: 'phone',
  property_address: 'address',
  property_type: 'property type',
  notes: 'notes',
  custom_fields: 'custom fields',
};

const str = (v: unknown) => (typeof v === 'string' ? v : null);
/** Why a follow-up was cancelled, in the agent's words (TaskCancelled.reason). */
const CANCEL_REASONS: Record<string, string> = {
  client_unsubscribed: 'Client unsubscribed',
  client_deleted: 'Client deleted',
  stage_lost: 'Automated follow-ups stop: the client was marked lost',
  stage_closed: 'Automated follow-ups stop: the client was marked closed',
  step_removed: 'Its step was removed from the plan',
};
const cancelReason = (r: string | null): string | null => {
  if (!r) return null;
  if (CANCEL_REASONS[r]) return CANCEL_REASONS[r];
  const ended = (ENDED_REASON_LABELS as Record<string, string>)[r];
  return ended ? `The plan ended: ${ended}` : null;
};
const ENROLL_SOURCES: Record<string, string> = {
  created: 'when the client was added',
  stage: 'by its stage',
  manual: 'by you',
  import: 'by an import',
};

/** One event of a client's history, in words an agent reads at a glance. */
export function describeEvent(e: TimelineItem, tz: string, now: Date): Described {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const when = (v: unknown) => (typeof v === 'string' ? formatDateTime(v, tz, now) : '');
  switch (e.type) {
    case 'ClientCreated':
      return {
        title: 'Client added',
        detail:
          [labelOf(STAGE_LABELS, str(d.stage)), str(d.property_type) && labelOf(PROPERTY_TYPE_LABELS, str(d.property_type))]
            .filter(Boolean)
            .join(' · ') || null,
        tone: 'info',
        icon: 'users',
      };
    case 'ClientUpdated': {
      const changed = Object.keys((d.changes ?? {}) as object).map((k) => FIELD_LABELS[k] ?? k);
      return { title: 'Profile updated', detail: changed.length ? `Changed ${changed.join(', ')}` : null, tone: 'neutral', icon: 'edit' };
    }
    case 'ClientStageChanged': {
      // One edit that moved the stage carries the other fields it changed too.
      const changed = Object.keys((d.changes ?? {}) as object).map((k) => FIELD_LABELS[k] ?? k);
      const stage = `${labelOf(STAGE_LABELS, str(d.from))} → ${labelOf(STAGE_LABELS, str(d.to))}`;
      return {
        title: 'Stage changed',
        detail: changed.length ? `${stage}; changed ${changed.join(', ')}` : stage,
        tone: 'accent',
        icon: 'users',
      };
    }
    case 'ClientDeleted':
      return { title: 'Client deleted', detail: null, tone: 'danger', icon: 'trash' };
    case 'ClientUnsubscribed':
      return { title: 'Unsubscribed from emails', detail: str(d.source) ? `via ${str(d.source)}` : null, tone: 'warning', icon: 'alert' };
    case 'TaskScheduled':
      return {
        title: `${str(d.followup_type) ?? 'Follow-up'} scheduled`,
        detail: `for ${when(d.scheduled_for)}${d.origin === 'manual' ? ' · added by you' : ''}`,
        tone: 'info',
        icon: 'calendar',
      };
    case 'TaskRescheduled':
      return { title: 'Follow-up rescheduled', detail: `${when(d.previous)} → ${when(d.scheduled_for)}`, tone: 'info', icon: 'calendar' };
    case 'TaskDetailsChanged':
      return {
        title: 'Follow-up details changed',
        detail: str(d.priority) ? `priority ${str(d.priority)}` : null,
        tone: 'neutral',
        icon: 'edit',
      };
    case 'TaskDue':
      return { title: `${str(d.followup_type) ?? 'Follow-up'} due`, detail: 'Writing the email…', tone: 'warning', icon: 'clock' };
    case 'TaskCompleted':
      return { title: 'Follow-up done', detail: d.by === 'email' ? 'Email sent' : 'Marked done by you', tone: 'success', icon: 'check' };
    case 'TaskSkipped':
      return { title: 'Follow-up skipped', detail: null, tone: 'neutral', icon: 'skip' };
    case 'TaskFailed':
      return { title: 'Follow-up failed', detail: str(d.reason), tone: 'danger', icon: 'alert' };
    case 'TaskCancelled':
      return {
        title: 'Follow-up cancelled',
        detail: cancelReason(str(d.reason)),
        tone: 'neutral',
        icon: 'skip',
      };
    case 'TaskHeld':
      return {
        title: 'Follow-up held back',
        detail: `${labelOf(HOLD_REASON_LABELS, str(d.reason))}${str(d.until) ? ` · goes ${when(d.until)}` : ''}`,
        tone: 'warning',
        icon: 'clock',
      };
    case 'ClientEnrolled':
      return {
        title: `Enrolled in ${str(d.plan_name) ? `“${str(d.plan_name)}”` : 'a plan'}`,
        detail:
          [typeof d.plan_version === 'number' ? `version ${d.plan_version}` : null, ENROLL_SOURCES[str(d.source) ?? '']]
            .filter(Boolean)
            .join(' · ') || null,
        tone: 'info',
        icon: 'calendar',
      };
    case 'EnrollmentPaused':
      return {
        title: 'Plan paused',
        detail: str(d.until)
          ? `until ${when(d.until)}`
          : d.reason === 'manual'
            ? 'by you'
            : d.reason === 'replied'
              ? 'The client replied — resume the plan when you are ready'
              : null,
        tone: 'warning',
        icon: 'clock',
      };
    case 'EnrollmentResumed':
      return { title: 'Plan resumed', detail: 'The remaining steps moved on by the time it was paused', tone: 'info', icon: 'calendar' };
    case 'EnrollmentEnded': {
      const why = (ENDED_REASON_LABELS as Record<string, string>)[str(d.reason) ?? ''];
      return { title: 'Plan ended', detail: why ? `because ${why}` : null, tone: 'neutral', icon: 'skip' };
    }
    case 'EnrollmentMigrated':
      return {
        title: 'Moved to the plan’s new version',
        detail: `version ${String(d.from_version)} → ${String(d.to_version)}`,
        tone: 'info',
        icon: 'edit',
      };
    case 'EmailGenerated':
      return { title: 'Email written', detail: str(d.subject) ? `“${str(d.subject)}”` : null, tone: 'accent', icon: 'sparkle' };
    case 'EmailGenerationFailed':
      return { title: 'Email could not be written', detail: str(d.reason), tone: 'danger', icon: 'alert' };
    case 'EmailAwaitingApproval':
      return {
        title: 'Draft waiting for your review',
        detail: str(d.subject) ? `“${str(d.subject)}”` : null,
        tone: 'accent',
        icon: 'sparkle',
      };
    case 'EmailApproved':
      return { title: 'Draft approved', detail: d.edited ? 'with your edits' : null, tone: 'success', icon: 'check' };
    case 'EmailRejected':
      return { title: 'Draft rejected', detail: str(d.reason), tone: 'neutral', icon: 'skip' };
    case 'ClientReplied':
      return d.auto_reply
        ? { title: 'Automatic reply', detail: `${str(d.auto_reply) ?? ''} — the plan pauses`, tone: 'warning', icon: 'mail' }
        : { title: 'Client replied', detail: str(d.text) ? `“${(str(d.text) ?? '').slice(0, 140)}”` : null, tone: 'success', icon: 'mail' };
    case 'ActivityLogged':
      return {
        title: `${({ call: 'Call', meeting: 'Meeting', text: 'Text', note: 'Note' } as Record<string, string>)[String(d.kind)] ?? 'Activity'} logged`,
        detail: `${(str(d.body) ?? '').slice(0, 140)}${d.stop_followups ? ' · automated follow-ups stopped' : ''}`,
        tone: 'info',
        icon: 'edit',
      };
    case 'EmailSent':
      if (d.confirmed_by === 'agent')
        return { title: 'Email marked as sent', detail: 'You confirmed it was delivered', tone: 'info', icon: 'check' };
      return {
        title: 'Email sent',
        detail: str(d.to_email) ? `to ${str(d.to_email)}${str(d.provider) ? ` via ${str(d.provider)}` : ''}` : null,
        tone: 'info',
        icon: 'mail',
      };
    case 'EmailFailed':
      return { title: 'Email failed to send', detail: str(d.reason), tone: 'danger', icon: 'alert' };
    case 'EmailSendUnknown':
      return { title: 'Email send outcome unknown', detail: str(d.reason), tone: 'warning', icon: 'alert' };
    case 'EmailResendRequested':
      return { title: 'Sending the email again', detail: 'You chose to send it again', tone: 'info', icon: 'mail' };
    case 'EmailSuppressed':
      return { title: 'Email not sent (suppressed)', detail: str(d.reason), tone: 'warning', icon: 'alert' };
    case 'EmailOpened':
      return { title: 'Email opened', detail: null, tone: 'success', icon: 'eye' };
    case 'EmailClicked':
      return { title: 'Link clicked', detail: str(d.url), tone: 'accent', icon: 'pointer' };
    case 'EmailDelivered':
    case 'EmailBounced':
    case 'EmailDropped':
    case 'EmailSpamReported':
    case 'EmailUnsubscribed': {
      const status = e.type
        .replace(/^Email/, '')
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .toLowerCase();
      const bad = e.type !== 'EmailDelivered';
      return {
        title: `Email ${labelOf(EMAIL_STATUS_LABELS, status).toLowerCase()}`,
        detail: str(d.reason),
        tone: bad ? 'danger' : 'info',
        icon: bad ? 'alert' : 'mail',
      };
    }
    case 'EmailWebhookRecorded':
      return { title: `Email ${str(d.event) ?? 'event'}`, detail: null, tone: 'neutral', icon: 'mail' };
    default:
      return { title: e.type.replace(/([a-z])([A-Z])/g, '$1 $2'), detail: null, tone: 'neutral', icon: 'edit' };
  }
}
