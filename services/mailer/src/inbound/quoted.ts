/**
 * The new text of a reply, without the history mail clients quote below it. Heuristics for
 * what Gmail, Outlook and Apple Mail write (in English, French, German and Spanish), tuned
 * to cut too little rather than too much: a missed marker leaves history in, a false one
 * would lose what the client wrote.
 */

/** What we keep of a reply: more than anyone writes to an agent, little enough for an event. */
export const MAX_REPLY_CHARS = 10_000;
/** The most text or HTML read at all; the new text of a reply comes first. */
export const MAX_INPUT_CHARS = 1 << 20;
/** Longer lines are prose, not an attribution line ("On …, Jane <jane@x.com> wrote:"). */
const MAX_ATTRIBUTION_CHARS = 400;

/**
 * "On <date>, <name> wrote:" and its translations, each a leading word and an ending. A date
 * always has a digit, which keeps "On second thought, here is what she wrote:" a sentence.
 */
const ATTRIBUTIONS: { lead: string; ends: (line: string) => boolean }[] = [
  { lead: 'on ', ends: (l) => l.endsWith(' wrote:') },
  // French and Spanish clients often put a no-break space before the colon (\s covers it).
  { lead: 'le ', ends: (l) => /\sa\sécrit\s?:$/.test(l) },
  { lead: 'am ', ends: (l) => l.endsWith(':') && l.includes(' schrieb ') },
  { lead: 'el ', ends: (l) => /\sescribi[óo]\s?:$/.test(l) },
];

const startsLikeAttribution = (line: string) => {
  const l = line.trimStart().slice(0, 3).toLowerCase();
  return ATTRIBUTIONS.some((a) => l === a.lead);
};

function isAttribution(line: string): boolean {
  const l = line.trim().toLowerCase();
  if (l.length > MAX_ATTRIBUTION_CHARS || !/\d/.test(l)) return false;
  return ATTRIBUTIONS.some((a) => l.startsWith(a.lead) && a.ends(l));
}

const ORIGINAL_MESSAGE = /^\s*-{3,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{3,}\s*$/i;
/** Outlook's rule above the quoted message's header block. */
const SEPARATOR = /^\s*_{10,}\s*$/;
/** A field of Outlook's quoted header block, bold in HTML (`*From:*` once turned to text). */
const FROM_FIELD = /^\s*\*?(?:from|de|von)\s*:\*?\s/i;
const SENT_FIELD = /^\s*\*?(?:sent|date|envoyé|gesendet|datum|enviado|fecha)\s*:\*?\s/i;
/** How far below "From:" Outlook's "Sent:" may be (an address wrapped over lines in between). */
const SENT_WITHIN_LINES = 3;

const nextNonEmpty = (lines: string[], from: number) => {
  for (let i = from; i < lines.length; i++) if (lines[i]!.trim() !== '') return lines[i]!;
  return undefined;
};

/** Where quoted history starts: the index of its first line, or -1. */
function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isAttribution(line)) return i;
    // Gmail wraps a long attribution: "On Tue, …, Jane Doe <" / "jane@x.com> wrote:".
    const next = lines[i + 1];
    if (next !== undefined && startsLikeAttribution(line) && isAttribution(`${line.trim()} ${next.trim()}`)) return i;
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if (SEPARATOR.test(line) && FROM_FIELD.test(nextNonEmpty(lines, i + 1) ?? '')) return i;
    if (FROM_FIELD.test(line) && lines.slice(i + 1, i + 1 + SENT_WITHIN_LINES).some((l) => SENT_FIELD.test(l))) return i;
  }
  return -1;
}

/** A mobile client's one-line signature: "Sent from my iPhone", "Get Outlook for iOS". */
const DEVICE_SIGNATURE =
  /^(?:sent from my |sent from (?:outlook|mail|yahoo mail)\b|get outlook for |envoyé de mon |envoyé depuis |von meinem .*gesendet|gesendet von |enviado desde mi )/i;
const MAX_SIGNATURE_CHARS = 100;

const isQuotedOrBlank = (line: string) => line.trim() === '' || line.trimStart().startsWith('>');
const isDeviceSignature = (line: string) => line.trim().length <= MAX_SIGNATURE_CHARS && DEVICE_SIGNATURE.test(line.trim());

/** Cuts at a code point boundary, so a cap never leaves half an emoji. */
function capped(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

const normalised = (text: string) => capped(text, MAX_INPUT_CHARS).replace(/\r\n?/g, '\n');

/**
 * The reply's own text: cut at the first quoted-history marker, then trailing `>` lines and
 * a trailing device signature dropped, trimmed, line ends as `\n`, at most MAX_REPLY_CHARS.
 * When nothing is left (the client wrote below the quote, or wrote nothing), the whole text
 * trimmed and capped, so an answer is never lost to a heuristic.
 */
export function stripQuotedHistory(text: string): string {
  const whole = normalised(text);
  const lines = whole.split('\n');
  const start = historyStart(lines);
  const kept = start >= 0 ? lines.slice(0, start) : lines;
  while (kept.length > 0 && isQuotedOrBlank(kept.at(-1)!)) kept.pop();
  if (kept.length > 0 && isDeviceSignature(kept.at(-1)!)) kept.pop();
  const reply = kept.join('\n').trim();
  return capped(reply || whole.trim(), MAX_REPLY_CHARS);
}

/** Elements whose content is never text: dropped with everything inside them. */
const DROPPED_ELEMENTS = new Set(['style', 'script', 'head', 'title', 'template', 'noscript']);
/** Elements on lines of their own: their start and end break a line, unless one just did. */
const BLOCK_ELEMENTS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'dd',
  'div',
  'dl',
  'dt',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tr',
  'ul',
]);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  rsquo: '\u2019',
  lsquo: '\u2018',
  rdquo: '\u201d',
  ldquo: '\u201c',
  hellip: '\u2026',
  ndash: '\u2013',
  mdash: '\u2014',
};

function codePointText(code: number): string {
  const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return valid ? String.fromCodePoint(code) : '\ufffd';
}

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/g, (entity, dec, hex, name) => {
    if (dec) return codePointText(Number.parseInt(dec, 10));
    if (hex) return codePointText(Number.parseInt(hex, 16));
    return NAMED_ENTITIES[(name as string).toLowerCase()] ?? entity;
  });
}

/** Where a dropped element ends: after its closing tag, or the end of the input if it has none. */
function endOfDropped(html: string, name: string, from: number): number {
  // A <head> left open ends where <body> begins, as browsers read it.
  const closing = new RegExp(name === 'head' ? '</head\\b|<body\\b' : `</${name}\\b`, 'gi');
  closing.lastIndex = from;
  const m = closing.exec(html);
  if (!m) return html.length;
  if (m[0].toLowerCase() === '<body') return m.index;
  const gt = html.indexOf('>', m.index);
  return gt < 0 ? html.length : gt + 1;
}

/**
 * Plain text of an HTML body, for a reply that came without a text part: the content of
 * <style>, <script>, <head> and the like dropped, comments dropped, every <br> a line break
 * and block elements (<div>, <p>, …) on lines of their own, every other tag removed,
 * whitespace collapsed as HTML does, the common entities and numeric ones decoded, lines
 * trimmed, blank-line runs cut to one. A block's break is "soft" (none when a line just
 * ended), which is how Gmail's `<div>Hi</div><div><br></div><div>Thanks</div>` reads as
 * "Hi", a blank line, "Thanks". Reads at most MAX_INPUT_CHARS in one pass, without
 * backtracking regular expressions, so no input takes long. Not a renderer: no tables,
 * lists or <pre> layout.
 */
export function htmlToText(html: string): string {
  const input = capped(html, MAX_INPUT_CHARS);
  const out: string[] = [];
  // Tracked rather than read off `out`, which would make every check cost the text so far.
  let atLineStart = true;
  const push = (piece: string) => {
    if (piece === '') return;
    out.push(piece);
    atLineStart = piece.endsWith('\n');
  };
  const text = (raw: string) => {
    const collapsed = raw.replace(/[ \t\n\r\f]+/g, ' ');
    // Source indentation between blocks is no text; keeping it would defeat soft breaks.
    if (collapsed === ' ' && atLineStart) return;
    push(decodeEntities(collapsed));
  };
  let pos = 0;
  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    if (lt < 0) {
      text(input.slice(pos));
      break;
    }
    text(input.slice(pos, lt));
    if (input.startsWith('<!--', lt)) {
      const end = input.indexOf('-->', lt + 4);
      if (end < 0) break;
      pos = end + 3;
      continue;
    }
    // "a < b" is text; a tag starts with a letter, "/", "!" or "?".
    if (!/[a-zA-Z/!?]/.test(input.charAt(lt + 1))) {
      push('<');
      pos = lt + 1;
      continue;
    }
    const gt = input.indexOf('>', lt + 1);
    // An unclosed tag, and no later "<" can have a ">" either: nothing more to read.
    if (gt < 0) break;
    const tag = /^(\/?)([a-zA-Z][a-zA-Z0-9]*)/.exec(input.slice(lt + 1, Math.min(gt, lt + 64)));
    pos = gt + 1;
    if (!tag) continue;
    const closing = tag[1] === '/';
    const name = tag[2]!.toLowerCase();
    if (!closing && DROPPED_ELEMENTS.has(name) && !input.slice(lt, gt).endsWith('/')) {
      pos = endOfDropped(input, name, gt + 1);
    } else if (name === 'br' || (BLOCK_ELEMENTS.has(name) && !atLineStart)) {
      push('\n');
    }
  }
  return out
    .join('')
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
