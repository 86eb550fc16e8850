import {
  checkTemplate,
  type Envelope,
  type EventData,
  type MergeIssue,
  type TemplateCreateBody,
  type TemplatePatchBody,
} from '@realtoros/contracts';
import { type Decider, DomainError } from '@realtoros/messaging';

/** The events on a template's subject (`crm.<agent>.template.<id>`). */
export type TemplateEventType = 'TemplateCreated' | 'TemplateChanged' | 'TemplateDeleted';
export type TemplateContent = { name: string; subject: string; body: string };

/**
 * An agent's email template (issue 10): created, changed any number of times (each version
 * whole), deleted for good. Pure: the template id (derived from the command id by the
 * handler) arrives with the aggregate, so a retried create finds itself and decides nothing.
 */
export type TemplateState =
  | { status: 'absent' }
  | { status: 'live' | 'deleted'; content: TemplateContent; version: number; createdAt: string; updatedAt: string };

export type TemplateCommand =
  | { type: 'CreateTemplate'; data: TemplateCreateBody }
  | { type: 'ChangeTemplate'; data: { changes: TemplatePatchBody } }
  | { type: 'DeleteTemplate' };

export const TEMPLATE_LIMITS = { name: 100, subject: 200, body: 10_000 } as const;

/**
 * The content as it will be stored, or validation with a pointer per problem: name 1–100 and
 * subject 1–200 characters (trimmed; the subject one line), body 1–10,000 characters and not
 * blank, and every `{{merge_field}}` known (libs/contracts merge-fields.ts).
 */
export function checkedContent(c: TemplateContent): TemplateContent {
  const content = { name: c.name.trim(), subject: c.subject.trim(), body: c.body };
  const issues: MergeIssue[] = [];
  if (content.name.length < 1 || content.name.length > TEMPLATE_LIMITS.name)
    issues.push({ pointer: '/name', detail: `must be 1 to ${TEMPLATE_LIMITS.name} characters` });
  if (content.subject.length < 1 || content.subject.length > TEMPLATE_LIMITS.subject)
    issues.push({ pointer: '/subject', detail: `must be 1 to ${TEMPLATE_LIMITS.subject} characters` });
  else if (/[\r\n]/.test(content.subject)) issues.push({ pointer: '/subject', detail: 'must be one line' });
  if (!content.body.trim() || content.body.length > TEMPLATE_LIMITS.body)
    issues.push({ pointer: '/body', detail: `must be 1 to ${TEMPLATE_LIMITS.body} characters, not blank` });
  issues.push(...checkTemplate(content));
  if (issues.length) throw new DomainError('validation', issues.map((i) => `${i.pointer.slice(1)}: ${i.detail}`).join('; '), issues);
  return content;
}

const contentOf = (d: EventData<'TemplateCreated'>): TemplateContent => ({ name: d.name, subject: d.subject, body: d.body });

export const templateDecider: Decider<TemplateCommand, TemplateState, TemplateEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event: Envelope<TemplateEventType>) {
    switch (event.type) {
      case 'TemplateCreated':
        return state.status === 'absent'
          ? {
              status: 'live',
              content: contentOf(event.data),
              version: event.data.version,
              createdAt: event.occurred_at,
              updatedAt: event.occurred_at,
            }
          : state;
      case 'TemplateChanged':
        return state.status === 'live'
          ? { ...state, content: contentOf(event.data), version: event.data.version, updatedAt: event.occurred_at }
          : state;
      case 'TemplateDeleted':
        return state.status === 'live' ? { ...state, status: 'deleted', updatedAt: event.occurred_at } : state;
      default:
        return state;
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'CreateTemplate': {
        // The id derives from the command id: an existing template is this very command again.
        if (state.status !== 'absent') return [];
        return [{ type: 'TemplateCreated', data: { ...checkedContent(command.data), version: 1 } }];
      }
      case 'ChangeTemplate': {
        if (state.status !== 'live') throw new DomainError('not_found', 'template not found');
        const content = checkedContent({ ...state.content, ...command.data.changes });
        const same =
          content.name === state.content.name && content.subject === state.content.subject && content.body === state.content.body;
        // Nothing new (a retried PATCH too): nothing to record.
        if (same) return [];
        return [{ type: 'TemplateChanged', data: { ...content, version: state.version + 1 } }];
      }
      case 'DeleteTemplate':
        if (state.status === 'absent') throw new DomainError('not_found', 'template not found');
        if (state.status === 'deleted') return [];
        return [{ type: 'TemplateDeleted', data: { name: state.content.name, version: state.version } }];
      default: {
        const unhandled: never = command;
        throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
      }
    }
  },
};

/** The API's Template for a live one (the gateway answers from the read model; this is the reply's data). */
export function toTemplateView(id: string, state: TemplateState) {
  if (state.status === 'absent') return null;
  return { id, ...state.content, version: state.version, created_at: state.createdAt, updated_at: state.updatedAt };
}
