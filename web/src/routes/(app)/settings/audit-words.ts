/** The audit log in plain words (issue 13): what each action means to the agent, and a short name for a browser. */
export const AUDIT_ACTION_WORDS: Record<string, string> = {
  'auth.signed_up': 'Account created',
  'auth.logged_in': 'Signed in',
  'auth.login_failed': 'Failed sign-in (wrong password)',
  'auth.login_locked': 'Sign-in refused: account locked',
  'auth.logged_out': 'Signed out',
  'auth.password_changed': 'Password changed',
  'auth.password_change_failed': 'Password change refused',
  'export.clients': 'Clients exported (CSV)',
  'export.emails': 'Email history exported (CSV)',
  'import.started': 'Clients import started',
  'settings.changed': 'Settings changed',
  'agent.renamed': 'Display name changed',
  'plan.created': 'Plan created',
  'plan.changed': 'Plan changed',
  'plan.deleted': 'Plan deleted',
  'client.erased': 'Client erased',
};

export const auditWords = (action: string): string => AUDIT_ACTION_WORDS[action] ?? action;

/** "Firefox on macOS" from a user agent, or the raw (truncated) string when unknown. */
export function browserOf(ua: string | null): string {
  if (!ua) return 'unknown browser';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : null;
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua)
      ? 'macOS'
      : /Android/.test(ua)
        ? 'Android'
        : /iPhone|iPad/.test(ua)
          ? 'iOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}
