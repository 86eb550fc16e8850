import type { Logger } from '@realtoros/observability';

/**
 * Runs the given steps in order on SIGTERM/SIGINT (stop consuming, finish in-flight work,
 * drain NATS, close pools), then exits. A second signal exits at once.
 */
export function onShutdown(log: Logger, steps: (() => Promise<unknown>)[], timeoutMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        log.warn({ err }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
