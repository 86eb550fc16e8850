import { CommonConfig, Type } from '@realtoros/config';

export const GatewayConfig = Type.Object({
  ...CommonConfig,
  GATEWAY_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8000, description: 'HTTP port of the API' }),
  GATEWAY_HOST: Type.String({ default: '0.0.0.0', description: 'interface to listen on' }),
  PUBLIC_BASE_URL: Type.String({
    default: 'http://localhost:8000',
    pattern: '^https?://',
    description: 'public URL of the gateway (links in emails)',
  }),
  JWT_SECRET: Type.String({
    minLength: 16,
    description: 'secret that signs unsubscribe links, and login tokens when JWT_SECRETS is unset (sensitive, ≥16 chars)',
  }),
  JWT_SECRETS: Type.Optional(
    Type.String({
      pattern: '^\\s*[^,\\s]{16,}\\s*(,\\s*[^,\\s]{16,}\\s*)*$',
      description:
        'keys of the access tokens, comma-separated, each ≥16 chars: the first signs, all verify (rotation: put the new key first; remove the old one 15 minutes later). Unset → JWT_SECRET alone (sensitive)',
    }),
  ),
  ACCESS_TOKEN_TTL_S: Type.Integer({ minimum: 30, maximum: 3600, default: 900, description: 'lifetime of an access token (seconds)' }),
  SESSION_TTL_S: Type.Integer({
    minimum: 300,
    default: 14 * 24 * 3600,
    description: 'lifetime of a log-in session, renewing access tokens with its refresh token (seconds)',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 20,
    description: 'requests per minute per client IP on sign-up, log-in, token refresh and password change (429 + Retry-After beyond)',
  }),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 6000,
    description: 'requests per minute per client IP on the SendGrid webhooks and the unsubscribe links',
  }),
  TRUST_PROXY: Type.String({
    default: 'loopback',
    description:
      'proxies whose X-Forwarded-For names the client (Fastify trustProxy: an address, CIDR list, loopback, or true); the rate limits count the client it names',
  }),
  SENDGRID_WEBHOOK_PUBLIC_KEY: Type.Optional(Type.String({ description: 'SendGrid event webhook verification key (base64 SPKI)' })),
  INBOUND_PARSE_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'password of the HTTP Basic auth SendGrid Inbound Parse posts with (any user name; sensitive, ≥16 chars); unset → every inbound post is refused (401)',
    }),
  ),
  COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000, description: 'how long a write waits for its service' }),
  READ_YOUR_WRITES_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 3000, description: 'how long a write waits for the read models' }),
  DATABASE_QUERY_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'longest a read-model query may wait for Postgres before the request answers 503 (a silent, partitioned Postgres)',
  }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10, description: 'Postgres connections the gateway keeps for reads' }),
  DATABASE_POOL_WAIT_MS: Type.Integer({
    minimum: 10,
    default: 5000,
    description:
      'longest a request waits for a free pool connection before it answers 503 with Retry-After (a saturated pool queues up to this)',
  }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 65_536, description: 'largest accepted request body' }),
});
export type GatewayConfig = import('@sinclair/typebox').Static<typeof GatewayConfig>;
