import { defineConfig } from 'vitest/config';

// One run covers every tier: *.unit.spec.ts (pure), *.int.spec.ts (real NATS + Postgres),
// *.e2e.ts (the whole stack, a real browser). Integration suites start their own
// nats-server and database, so files can run in parallel.
export default defineConfig({
  test: {
    include: ['libs/**/*.spec.ts', 'services/**/*.spec.ts', 'tests/**/*.spec.ts', 'tests/**/*.e2e.ts', 'web/src/**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'web/build/**', 'web/.svelte-kit/**'],
    testTimeout: 60_000,
    // expect.poll's own default (1 s) is too short for a browser page or a read model on a
    // loaded 2-core machine; a poll still ends as soon as it holds.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
