import { isStorableText } from '@realtoros/contracts';
import type { ClientFacts } from './facts.ts';
import { guardrailProblems } from './guardrails.ts';

export type EmailDraft = { subject: string; body: string };

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const LINK = /(https?:\/\/|www\.|\b[a-z0-9-]+\.(com|net|org|io|co|biz|info|xyz|ru|cn|ly|me|app|link|click)(\/|\b))/i;
const PLACEHOLDER = /\[[A-Z][A-Za-z ]{1,30}\]|\{\{|\}\}|<[A-Z_ ]{3,}>/;

export const MAX_SUBJECT = 150;
export const MAX_BODY_WORDS = 300;

/**
 * Checks a model's draft before it is accepted: the model read untrusted notes, so its output
 * is untrusted too. Returns the problems; empty means accepted. No link or foreign address
 * can leave through an email, the subject is one line, and the length stays bounded. Nor may it
 * steer by a Fair Housing class or promise a price or legal outcome in the agent's name: those
 * problems read "<category> (“<phrase>”)" and `isGuardrailProblem` (guardrails.ts) tells them apart.
 */
export function checkDraft(draft: unknown, client: Pick<ClientFacts, 'email'>, allowedEmails: readonly string[] = []): string[] {
  if (!draft || typeof draft !== 'object') return ['not an object'];
  const { subject, body } = draft as Record<string, unknown>;
  if (typeof subject !== 'string' || typeof body !== 'string') return ['subject and body must be strings'];
  const problems: string[] = [];
  const s = subject.trim();
  const b = body.trim();
  if (!s) problems.push('empty subject');
  if (/[\r\n]/.test(s)) problems.push('subject has a line break');
  if (s.length > MAX_SUBJECT) problems.push(`subject longer than ${MAX_SUBJECT} characters`);
  const words = b.split(/\s+/).filter(Boolean).length;
  if (words < 15) problems.push('body too short');
  if (words > MAX_BODY_WORDS) problems.push(`body longer than ${MAX_BODY_WORDS} words`);
  const allowed = new Set([client.email, ...allowedEmails].map((e) => e.toLowerCase()));
  const foreign = [...`${s}\n${b}`.matchAll(EMAIL)].map((m) => m[0].toLowerCase()).filter((e) => !allowed.has(e));
  if (foreign.length) problems.push("contains an email address that is not the client's");
  const withoutAddresses = `${s}\n${b}`.replace(EMAIL, ' ');
  if (LINK.test(withoutAddresses)) problems.push('contains a link');
  if (PLACEHOLDER.test(s) || PLACEHOLDER.test(b)) problems.push('contains a placeholder');
  // Fair Housing steering and promises about price or legal outcomes (guardrails.ts).
  problems.push(...guardrailProblems(`${s}\n${b}`));
  // A NUL or lone surrogate could not be stored (the event would be refused): use the template.
  if (!isStorableText(subject) || !isStorableText(body)) problems.push('contains characters that cannot be stored');
  return problems;
}
