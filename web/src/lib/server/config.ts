import { loadConfig, loadDotEnv, Type } from '@realtoros/config';
import type { Static } from '@sinclair/typebox';

/** The web app's configuration (ARCHITECTURE.md §8), validated once, read nowhere else. */
export const WebConfig = Type.Object({
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/realtoros',
    pattern: '^postgres(ql)?://',
    description: 'PostgreSQL connection URL for the read models',
  }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'not used any more: the web app asks the gateway about every session (GET /api/auth/me), since a signature alone cannot tell a logged-out token; still accepted so existing environments keep starting (sensitive)',
    }),
  ),
  GATEWAY_URL: Type.String({ default: 'http://127.0.0.1:8000', pattern: '^https?://', description: 'base URL of the gateway API' }),
});
export type WebConfig = Static<typeof WebConfig>;

let loaded: WebConfig | undefined;

/** Loads (once) and returns the configuration; throws a ConfigError naming the bad variable. */
export function config(): WebConfig {
  if (!loaded) {
    loadDotEnv();
    const c = loadConfig(WebConfig);
    loaded = { ...c, GATEWAY_URL: c.GATEWAY_URL.replace(/\/+$/, '') };
  }
  return loaded;
}
