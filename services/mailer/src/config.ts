import { CommonConfig, ConfigError, loadConfig, loadDotEnv, Type } from '@realtoros/config';

export const MailerConfig = Type.Object({
  ...CommonConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9104, description: 'port of the liveness (/healthz) and readiness (/readyz) endpoint; 0 = none' }),
  EMAIL_PROVIDER: Type.Optional(Type.Union([Type.Literal('sendgrid'), Type.Literal('outbox')], { description: 'how emails leave; default sendgrid when SENDGRID_API_KEY is set, else outbox' })),
  SENDGRID_API_KEY: Type.Optional(Type.String({ minLength: 1, description: 'SendGrid API key (sensitive)' })),
  SENDGRID_BASE_URL: Type.String({ default: 'https://api.sendgrid.com', pattern: '^https?://', description: "SendGrid API base URL (a local fake in tests)" }),
  SENDGRID_FROM_EMAIL: Type.String({ default: 'followups@realtoros.local', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', description: 'verified sender address' }),
  SENDGRID_FROM_NAME: Type.String({ default: 'RealtorOS', description: "sender name when the agent's name is unknown" }),
  SENDGRID_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 15_000, description: 'timeout of one SendGrid request (a timeout is an unknown outcome, never resent)' }),
  SENDER_POSTAL_ADDRESS: Type.Optional(Type.String({ maxLength: 300, description: "sender's postal address for the email footer (CAN-SPAM)" })),
  OUTBOX_DIR: Type.String({ default: '.data/outbox', minLength: 1, description: 'where the outbox provider writes .eml files' }),
  PUBLIC_BASE_URL: Type.String({ default: 'http://localhost:8000', pattern: '^https?://', description: 'public URL of the gateway (unsubscribe links)' }),
  JWT_SECRET: Type.String({ minLength: 16, description: 'secret the unsubscribe link key is derived from (sensitive, ≥16 chars; same as the gateway)' }),
  INBOUND_DOMAIN: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$', maxLength: 200, description: "domain SendGrid Inbound Parse receives for (MX): emails carry Reply-To reply+<token>@<it>, so a client's reply reaches RealtorOS; unset → replies go to the agent's own address and are not seen" })),
  MAILER_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'tries per email for transient provider failures' }),
  MAILER_RETRY_BASE_MS: Type.Integer({ minimum: 0, default: 1000, description: 'first retry delay (doubles each try; retry-after wins when longer)' }),
  MAILER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'emails sent in parallel per replica' }),
  MAILER_ACK_WAIT_MS: Type.Integer({ minimum: 1000, default: 30_000, description: 'JetStream ack wait: how soon an interrupted email is looked at again' }),
});
export type MailerConfig = import('@sinclair/typebox').Static<typeof MailerConfig> & { provider: 'sendgrid' | 'outbox' };

export function loadMailerConfig(env: NodeJS.ProcessEnv = process.env): MailerConfig {
  const c = loadConfig(MailerConfig, env);
  const provider = c.EMAIL_PROVIDER ?? (c.SENDGRID_API_KEY ? 'sendgrid' : 'outbox');
  if (provider === 'sendgrid' && !c.SENDGRID_API_KEY) throw new ConfigError('Invalid configuration: SENDGRID_API_KEY is required when EMAIL_PROVIDER=sendgrid (not set)');
  return { ...c, provider };
}

export function loadMailerConfigOrExit(): MailerConfig {
  loadDotEnv();
  try {
    return loadMailerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
