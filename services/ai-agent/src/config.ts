import { CommonConfig, ConfigError, loadConfig, loadDotEnv, Type } from '@realtoros/config';

export const AiAgentConfig = Type.Object({
  ...CommonConfig,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9103, description: 'port of the liveness (/healthz) and readiness (/readyz) endpoint; 0 = none' }),
  AI_PROVIDER: Type.Optional(Type.Union([Type.Literal('openai'), Type.Literal('template')], { description: 'who writes emails; default openai when OPENAI_API_KEY is set, else template' })),
  OPENAI_API_KEY: Type.Optional(Type.String({ minLength: 1, description: 'OpenAI API key (sensitive)' })),
  OPENAI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'OpenAI-compatible API base URL, e.g. http://localhost:11434/v1' })),
  OPENAI_MODEL: Type.String({ default: 'gpt-4o-mini', minLength: 1, description: 'model for follow-up emails' }),
  OPENAI_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 20_000, description: 'timeout of one OpenAI request' }),
  OPENAI_MAX_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 3, description: 'retries of a failed OpenAI request (exponential backoff, honours retry-after)' }),
  AI_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'due tasks written in parallel per replica' }),
  AI_ACK_WAIT_MS: Type.Integer({ minimum: 1000, default: 60_000, description: 'JetStream ack wait of the TaskDue consumer' }),
});
export type AiAgentConfig = import('@sinclair/typebox').Static<typeof AiAgentConfig> & { provider: 'openai' | 'template' };

export function loadAiAgentConfig(env: NodeJS.ProcessEnv = process.env): AiAgentConfig {
  const c = loadConfig(AiAgentConfig, env);
  const provider = c.AI_PROVIDER ?? (c.OPENAI_API_KEY ? 'openai' : 'template');
  if (provider === 'openai' && !c.OPENAI_API_KEY) throw new ConfigError('Invalid configuration: OPENAI_API_KEY is required when AI_PROVIDER=openai (not set)');
  return { ...c, provider };
}

export function loadAiAgentConfigOrExit(): AiAgentConfig {
  loadDotEnv();
  try {
    return loadAiAgentConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
