/**
 * The sender of an inbound message, from the `from` field Inbound Parse posts (the From
 * header's value). Lenient about display names, strict about the address: it is what a
 * reply is matched against (the client's email), so anything unlike one is no address.
 */

/** RFC 5321's limit on a path; longer is no address anyone can send from. */
const MAX_ADDRESS_CHARS = 254;
/** A From value longer than this is junk; the rest is not read. */
const MAX_FROM_CHARS = 2_000;
/** A local part and a dotted domain, none of the characters that delimit addresses. */
const ADDRESS = /^[^\s@<>()[\]",;:\\]+@[^\s@<>()[\]",;:\\]+\.[^\s@<>()[\]",;:\\.][^\s@<>()[\]",;:\\]*$/;

/** A display name: outer quotes removed, `\"` unescaped, whitespace collapsed; null if empty. */
function nameOf(raw: string): string | null {
  let name = raw.trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  name = name.replace(/\s+/g, ' ').trim();
  return name || null;
}

/**
 * `"Maria Lopez" <Maria@Example.com>` → `{ email: 'maria@example.com', name: 'Maria Lopez' }`;
 * `maria@example.com` → name null. The old `maria@example.com (Maria Lopez)` form gives the
 * comment as the name, and `Maria Lopez maria@example.com` (no brackets) the words before.
 * The email is lowercased whole, local part too, so it compares with the client's stored
 * email however the sender's client capitalised it. A name that only repeats the address is
 * no name. Null when no address is found.
 */
export function addressOf(from: string): { email: string; name: string | null } | null {
  const value = from.slice(0, MAX_FROM_CHARS).trim();
  // The last <…>: a quoted display name may itself contain "<" (`"Maria <Lopez>" <m@x.com>`).
  const bracketed = /<([^<>]*)>\s*$/.exec(value);
  let email: string;
  let name: string | null;
  if (bracketed) {
    email = bracketed[1]!.trim();
    name = nameOf(value.slice(0, bracketed.index));
  } else {
    // `maria@example.com (Maria Lopez)`, or (not RFC 5322, but sent) `Maria Lopez maria@example.com`.
    const comment = /^(\S+)\s*\(([^()]*)\)$/.exec(value);
    const lastWord = /^(.*\s)?(\S+)$/.exec(value);
    email = comment ? comment[1]! : (lastWord?.[2] ?? '');
    name = comment ? nameOf(comment[2]!) : nameOf(lastWord?.[1] ?? '');
  }
  email = email.toLowerCase();
  if (email.length > MAX_ADDRESS_CHARS || !ADDRESS.test(email)) return null;
  if (name?.toLowerCase() === email) name = null;
  return { email, name };
}
