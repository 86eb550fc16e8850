/**
 * Tells an automatic reply (out-of-office, vacation responder, list or bulk mail) from a
 * person's answer, so only a person's answer stops a client's automation. Headers are
 * checked first, the way RFC 3834 asks responders to mark themselves; the subject is the
 * fallback for responders that don't (many Exchange and hosted mailboxes).
 */

/** `Precedence` values that no person sets on a reply. */
const BULK_PRECEDENCE = new Set(['auto_reply', 'bulk', 'junk', 'list']);
/** Exchange's `X-Auto-Response-Suppress` tokens that its own automatic replies carry. */
const SUPPRESS_MEANS_AUTOMATIC = new Set(['oof', 'all']);

/**
 * Out-of-office subjects, matched at the start once reply prefixes are gone, in lowercase
 * with accents removed (so "Réponse automatique" and "Reponse automatique" both match).
 * Only at the start: a person's reply keeps our subject after "Re:", and a subject that
 * merely mentions a vacation ("Re: Are you on vacation in May?") is a person writing.
 */
const OUT_OF_OFFICE_SUBJECTS = [
  'out of office',
  'out of the office',
  'automatic reply',
  'auto reply',
  'auto-reply',
  'autoreply',
  'auto response',
  'auto-response',
  'away from the office',
  'on vacation',
  'abwesenheitsnotiz',
  'automatische antwort',
  'reponse automatique',
  'respuesta automatica',
  'fuera de la oficina',
  'risposta automatica',
  'resposta automatica',
  'automatisch antwoord',
];

/** "Re:", "RE:", "AW:", "Fwd:", "SV:", "Antw:", "Re[2]:" and the like, any number of them (lowercase input). */
const REPLY_PREFIXES = /^(?:\s*(?:re|aw|wg|fw|fwd|sv|antw|rif|tr)\s*(?:\[\d+\]|\(\d+\))?\s*[:：])+/;

/** The first word of a header value, lowercased: `auto-replied; owner-email=x` → `auto-replied`. */
const keywordOf = (value: string) =>
  value
    .trim()
    .split(/[\s;,(]/, 1)[0]!
    .toLowerCase();

/** A header value as it may appear in a reason: short, and only harmless characters. */
const shown = (value: string) => value.replace(/[^a-z0-9_-]/g, '').slice(0, 40);

const foldedForMatching = (subject: string) => subject.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

export function outOfOfficeSubject(subject: string): string | null {
  const rest = foldedForMatching(subject).replace(REPLY_PREFIXES, '').trimStart();
  for (const phrase of OUT_OF_OFFICE_SUBJECTS) {
    // A whole phrase, not a word's beginning: "On vacationing" isn't one.
    if (rest.startsWith(phrase) && !/[\p{L}\p{N}]/u.test(rest.charAt(phrase.length))) return phrase;
  }
  return null;
}

/**
 * Why this message is an automatic reply — `auto-submitted: auto-replied`, `x-autoreply`,
 * `x-autorespond`, `precedence: bulk`, `x-auto-response-suppress: oof`,
 * `subject: out of office` — or null when a person wrote it. `headers` is parseHeaders'
 * map (lowercased names). Header values in a reason are cut to a short, safe word, since
 * the sender chooses them and the reason ends up in events and logs.
 */
export function autoReplyReason(headers: Map<string, string[]>, subject: string): string | null {
  for (const value of headers.get('auto-submitted') ?? []) {
    const keyword = keywordOf(value);
    if (keyword !== 'no') return `auto-submitted: ${shown(keyword) || 'present'}`;
  }
  if (headers.has('x-autoreply')) return 'x-autoreply';
  if (headers.has('x-autorespond')) return 'x-autorespond';
  for (const value of headers.get('precedence') ?? []) {
    const keyword = keywordOf(value);
    if (BULK_PRECEDENCE.has(keyword)) return `precedence: ${keyword}`;
  }
  for (const value of headers.get('x-auto-response-suppress') ?? []) {
    const token = value
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .find((t) => SUPPRESS_MEANS_AUTOMATIC.has(t));
    if (token) return `x-auto-response-suppress: ${token}`;
  }
  const phrase = outOfOfficeSubject(subject);
  return phrase ? `subject: ${phrase}` : null;
}
