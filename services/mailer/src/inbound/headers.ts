/**
 * The `headers` field SendGrid Inbound Parse posts: the message's header block as text.
 * Pure parsing only; what the headers mean is decided elsewhere (auto-reply.ts, matching).
 */

/** More than any real header block (a long thread's References is a few KB); the rest is ignored. */
export const MAX_HEADER_BLOCK_CHARS = 1 << 20;
/** Enough for any real thread; bounds what one message can make us look up. */
export const MAX_MESSAGE_IDS = 100;

/** RFC 5322 field names: printable ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;

/**
 * Header fields by lowercased name, each name's values in the order they appear. Folded
 * lines are unfolded as RFC 5322 says (the line break goes, the whitespace after it stays)
 * and values are trimmed. Lines that are no field (an mbox `From ` line, junk) are skipped
 * with their continuations; the block ends at the first empty line, where a body would start.
 */
export function parseHeaders(raw: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let current: { name: string; parts: string[] } | null = null;
  const finish = () => {
    if (!current) return;
    const values = headers.get(current.name) ?? [];
    values.push(current.parts.join('').trim());
    headers.set(current.name, values);
    current = null;
  };
  let seenField = false;
  for (const line of raw.slice(0, MAX_HEADER_BLOCK_CHARS).split(/\r\n|\n|\r/)) {
    if (line === '') {
      if (seenField) break;
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      current?.parts.push(line);
      continue;
    }
    finish();
    const colon = line.indexOf(':');
    // Obsolete syntax allows whitespace before the colon (`Subject : x`).
    const name = colon > 0 ? line.slice(0, colon).trimEnd().toLowerCase() : '';
    if (!FIELD_NAME.test(name)) continue;
    current = { name, parts: [line.slice(colon + 1)] };
    seenField = true;
  }
  finish();
  return headers;
}

/**
 * The ids in a Message-ID, In-Reply-To or References value, without angle brackets, in
 * order. A value without a bracketed id is taken as one bare id if it is a single word
 * (some clients drop the brackets, or one of them). Past MAX_MESSAGE_IDS the newest ids are kept: References
 * lists the oldest first, and the message being answered (ours) is among the last.
 */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const m of value.matchAll(/<([^<>]*)>/g)) {
    const id = m[1]!.replace(/\s+/g, '');
    if (id) ids.push(id);
  }
  if (ids.length === 0) {
    const bare = value.trim().replace(/^<|>$/g, '');
    if (bare && !/[\s<>]/.test(bare)) ids.push(bare);
  }
  return ids.slice(-MAX_MESSAGE_IDS);
}
