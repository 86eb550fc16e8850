/**
 * Merge fields of an agent's email templates (issue 10): the vocabulary, a parser that names
 * what is wrong (so a template with an unknown field is refused when it is saved, not sent
 * broken later) and a pure renderer. No TypeBox here: the web app imports it too.
 *
 * Syntax: `{{ field }}` (spaces inside the braces are allowed), `{{ field | fallback }}` (the
 * fallback is used when the client has no value), `\{{` for a literal `{{`. Fields are the
 * names in MERGE_FIELDS and `custom.<key>`, a client's custom field (the key as the agent
 * named it; matched exactly, else ignoring case). A missing value with no fallback renders as
 * nothing. Values are inserted as they are, once: a value that itself holds `{{…}}` is not
 * parsed again. Emails are plain text (the mailer escapes the body for its HTML part), so a
 * value needs no escaping here.
 */

export const MERGE_FIELDS = [
  { name: 'first_name', description: "The client's first name" },
  { name: 'last_name', description: "The client's last name (everything after the first name)" },
  { name: 'name', description: "The client's full name" },
  { name: 'email', description: "The client's email address" },
  { name: 'phone', description: "The client's phone number" },
  { name: 'property_address', description: "The client's property address" },
  { name: 'property_type', description: 'The property type, in words (e.g. multi-family)' },
  { name: 'stage', description: "The client's stage, in words (e.g. under contract)" },
  { name: 'agent_name', description: 'Your name' },
  { name: 'agent_email', description: 'Your email address' },
  { name: 'agent_signature', description: 'Your email signature (Settings)' },
] as const;
export type MergeFieldName = (typeof MERGE_FIELDS)[number]['name'];
export const MERGE_FIELD_NAMES: readonly MergeFieldName[] = MERGE_FIELDS.map((f) => f.name);
/** `{{custom.<key>}}`: the client's custom field `<key>`. */
export const CUSTOM_MERGE_PREFIX = 'custom.';
const CUSTOM_KEY_MAX = 64;

export type TemplatePart = { text: string } | { field: string; fallback: string | null };
export type MergeIssue = { pointer: string; detail: string };

const isKnown = (field: string): boolean => {
  if ((MERGE_FIELD_NAMES as readonly string[]).includes(field)) return true;
  if (!field.startsWith(CUSTOM_MERGE_PREFIX)) return false;
  const key = field.slice(CUSTOM_MERGE_PREFIX.length).trim();
  return key.length >= 1 && key.length <= CUSTOM_KEY_MAX;
};

/** A text's parts in order (literal text and merge fields) and what is wrong with it, in words. */
export function parseTemplate(text: string): { parts: TemplatePart[]; problems: string[] } {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
      continue;
    }
    if (!text.startsWith('{{', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}}', i + 2);
    if (close < 0) {
      problems.push(`"{{" at character ${i + 1} is never closed with "}}" (write \\{{ for a literal "{{")`);
      literal += text.slice(i);
      break;
    }
    const inner = text.slice(i + 2, close);
    if (inner.includes('{{')) {
      problems.push(`"{{" at character ${i + 1} is never closed with "}}" before the next "{{"`);
      literal += text.slice(i, close + 2);
      i = close + 2;
      continue;
    }
    const bar = inner.indexOf('|');
    const field = (bar < 0 ? inner : inner.slice(0, bar)).trim();
    const fallback = bar < 0 ? null : inner.slice(bar + 1).trim();
    if (!field) problems.push(`an empty merge field "{{${inner}}}" at character ${i + 1}`);
    else if (!isKnown(field))
      problems.push(`unknown merge field "${field.slice(0, 80)}" (known: ${MERGE_FIELD_NAMES.join(', ')}, custom.<key>)`);
    else {
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ field: normalField(field), fallback: fallback === '' ? null : fallback });
    }
    i = close + 2;
  }
  if (literal) parts.push({ text: literal });
  return { parts, problems };
}

const normalField = (field: string) =>
  field.startsWith(CUSTOM_MERGE_PREFIX) ? `${CUSTOM_MERGE_PREFIX}${field.slice(CUSTOM_MERGE_PREFIX.length).trim()}` : field;

/** What is wrong with a template's subject and body, each with its pointer (`/subject`, `/body`). */
export function checkTemplate(t: { subject?: string | undefined; body?: string | undefined }): MergeIssue[] {
  const issues: MergeIssue[] = [];
  for (const key of ['subject', 'body'] as const) {
    const text = t[key];
    if (text === undefined) continue;
    for (const detail of parseTemplate(text).problems) issues.push({ pointer: `/${key}`, detail });
  }
  return issues;
}

/** The fields a text uses (names as written, custom ones as `custom.<key>`), each once. */
export function fieldsUsed(text: string): string[] {
  const out = new Set<string>();
  for (const p of parseTemplate(text).parts) if ('field' in p) out.add(p.field);
  return [...out];
}

/** The values one email's fields take: null (or absent) = missing. */
export type MergeValues = { [K in MergeFieldName]?: string | null } & {
  custom?: Readonly<Record<string, string | number | boolean | null>>;
};

const WORDS: Record<string, string> = { multi_family: 'multi-family', under_contract: 'under contract' };
const words = (v: string | null | undefined) => (v ? (WORDS[v] ?? v.replace(/_/g, ' ')) : null);

/** The merge values for one client and agent, from the facts the sender already holds. */
export function mergeValuesOf(
  client: {
    name: string;
    email: string;
    phone?: string | null;
    property_address?: string | null;
    property_type?: string | null;
    stage?: string | null;
    custom_fields?: Readonly<Record<string, string | number | boolean | null>>;
  },
  agent: { name?: string | null; email?: string | null; signature?: string | null },
): MergeValues {
  const [first = '', ...rest] = client.name.trim().split(/\s+/);
  return {
    first_name: first || null,
    last_name: rest.join(' ') || null,
    name: client.name.trim() || null,
    email: client.email,
    phone: client.phone ?? null,
    property_address: client.property_address ?? null,
    property_type: words(client.property_type),
    stage: words(client.stage),
    agent_name: agent.name ?? null,
    agent_email: agent.email ?? null,
    agent_signature: agent.signature ?? null,
    custom: client.custom_fields ?? {},
  };
}

function fieldValue(field: string, values: MergeValues): string | null {
  if (field.startsWith(CUSTOM_MERGE_PREFIX)) {
    const key = field.slice(CUSTOM_MERGE_PREFIX.length);
    const custom = values.custom ?? {};
    const hit = Object.hasOwn(custom, key) ? key : Object.keys(custom).find((k) => k.toLowerCase() === key.toLowerCase());
    const v = hit === undefined ? null : custom[hit];
    return v === null || v === undefined || v === '' ? null : String(v);
  }
  const v = values[field as MergeFieldName];
  return v === null || v === undefined || v === '' ? null : v;
}

/**
 * The text with its fields filled: a missing value becomes the field's fallback, else
 * nothing. A text with problems (which saving refuses) renders its valid parts; what the
 * parser could not read stays as written.
 */
export function renderTemplate(text: string, values: MergeValues): string {
  return parseTemplate(text)
    .parts.map((p) => ('text' in p ? p.text : (fieldValue(p.field, values) ?? p.fallback ?? '')))
    .join('');
}

export const TEMPLATE_SUBJECT_MAX = 200;
export const TEMPLATE_BODY_MAX = 10_000;

/**
 * A template's subject and body for one email: the subject on one line (a value's line breaks
 * become spaces, runs of spaces one), both trimmed and cut to what an email may hold.
 */
export function renderEmailTemplate(t: { subject: string; body: string }, values: MergeValues): { subject: string; body: string } {
  const subject = renderTemplate(t.subject, values).replace(/\s+/g, ' ').trim().slice(0, TEMPLATE_SUBJECT_MAX);
  const body = renderTemplate(t.body, values).replace(/\r\n?/g, '\n').trim().slice(0, TEMPLATE_BODY_MAX);
  return { subject, body };
}
