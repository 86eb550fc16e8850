import { CommonConfig, ConfigError, loadConfigOrExit, Type } from '@realtoros/config';
import type { Static } from '@sinclair/typebox';
import { DEFAULT_SCHEDULE, type FollowupPlan, parseSchedule } from './planning/schedule.ts';

export const SchedulerConfig = Type.Object({
  NATS_URL: CommonConfig.NATS_URL,
  LOG_LEVEL: CommonConfig.LOG_LEVEL,
  HEALTH_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9102,
    description: 'port of the liveness (/healthz) and readiness (/readyz) endpoint; 0 = none',
  }),
  FOLLOWUP_SCHEDULE: Type.Optional(
    Type.String({
      description:
        'JSON steps of the default plan each agent gets (whole days: steps in the sending window; seconds: exact demo steps), e.g. [{"followup_type":"Day 1","offset_seconds":30,"priority":"high"}]',
    }),
  ),
  SCHEDULER_FIRE_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 4096,
    default: 128,
    description: 'due timers checked and fired at once',
  }),
  SCHEDULER_LEASE_TTL_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 5000,
    description: 'ticker lease lifetime: how soon another replica takes over from a dead ticker',
  }),
  AUTO_REPLY_PAUSE_DAYS: Type.Number({
    exclusiveMinimum: 0,
    maximum: 90,
    default: 7,
    description: "how long an automatic reply (out of office…) pauses the client's plan before it resumes by itself (days; fractions allowed, for tests)",
  }),
  SCHEDULER_HORIZON_DAYS: Type.Integer({
    minimum: 1,
    maximum: 365,
    default: 35,
    description: 'farthest a timer is parked ahead; later tasks hop forward (the timer stream keeps messages a week longer)',
  }),
});
export type SchedulerSettings = Omit<Static<typeof SchedulerConfig>, 'FOLLOWUP_SCHEDULE'> & { schedule: readonly FollowupPlan[] };

/** Validates the environment once at boot; a bad FOLLOWUP_SCHEDULE stops the service with one clear line. */
export function loadSchedulerConfig(env: NodeJS.ProcessEnv = process.env): SchedulerSettings {
  const { FOLLOWUP_SCHEDULE, ...rest } = loadConfigOrExit(SchedulerConfig, env);
  try {
    return { ...rest, schedule: FOLLOWUP_SCHEDULE ? parseSchedule(FOLLOWUP_SCHEDULE) : DEFAULT_SCHEDULE };
  } catch (err) {
    const e = new ConfigError(`Invalid configuration: FOLLOWUP_SCHEDULE ${(err as Error).message}`);
    process.stderr.write(`${e.message}\n`);
    process.exit(78);
  }
}
