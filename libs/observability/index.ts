import { randomBytes } from 'node:crypto';
import { type Logger, pino } from 'pino';

export type { Logger };

/** One structured JSON logger per service; children carry correlation ids. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'password_hash', '*.password_hash', 'token', 'authorization', '*.authorization'],
      censor: '***',
    },
  });
}

export function withCorrelation(log: Logger, correlationId: string, extra: Record<string, unknown> = {}): Logger {
  return log.child({ correlation_id: correlationId, ...extra });
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * W3C trace context: keeps the trace id of `parent` (a `traceparent` header) and starts a
 * new span id, so one agent action can be followed across services and streams.
 */
export function childTraceparent(parent?: string | null): string {
  const m = parent ? TRACEPARENT.exec(parent) : null;
  const traceId = m?.[1] ?? randomBytes(16).toString('hex');
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${m?.[3] ?? '01'}`;
}

export function traceIdOf(traceparent?: string | null): string | null {
  return (traceparent && TRACEPARENT.exec(traceparent)?.[1]) || null;
}

/**
 * Starts the OpenTelemetry Node SDK when the standard OTEL_* variables ask for an exporter;
 * otherwise does nothing (no exporter retries against a collector that isn't there).
 */
export async function startTelemetry(service: string): Promise<() => Promise<void>> {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT && !process.env.OTEL_TRACES_EXPORTER) return async () => {};
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  process.env.OTEL_SERVICE_NAME ??= `realtoros-${service}`;
  const sdk = new NodeSDK();
  sdk.start();
  return () => sdk.shutdown();
}

export {
  type HealthCheck,
  type HealthServer,
  type HealthServerOptions,
  type Readiness,
  readiness,
  startHealthServer,
} from './src/health.ts';
