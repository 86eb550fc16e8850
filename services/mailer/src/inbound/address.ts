/** The address in a From value such as `"Maria Lopez" <Maria@Example.com>` or `maria@example.com` (lowercased), or null. */
export function addressOf(from: string): { email: string; name: string | null } | null {
  const value = from.trim().slice(0, 1000);
  const angle = /<\s*([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)\s*>/.exec(value);
  const bare = angle ? null : /([^\s<>"',;:@]+@[^\s<>"',;:@]+\.[^\s<>"',;:@]+)/.exec(value);
  const email = (angle?.[1] ?? bare?.[1])?.toLowerCase();
  if (!email || email.length > 254) return null;
  const name = angle ? value.slice(0, angle.index).trim().replace(/^"(.*)"$/, '$1').trim() : '';
  return { email, name: name || null };
}
