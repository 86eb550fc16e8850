// Pure planning logic shared by the scheduler (which decides), the gateway (previews) and
// the web app (decision trails): sending windows, step times, plan-change effects, trails.

export * from './src/effects.ts';
export * from './src/steps.ts';
export * from './src/trail.ts';
export * from './src/window.ts';
