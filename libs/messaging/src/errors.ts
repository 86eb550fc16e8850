import type { CommandErrorCode } from '@realtoros/contracts';

/** A rule of the domain was broken; the gateway maps `code` to an HTTP status in one place. */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: CommandErrorCode;
  readonly errors: { pointer: string; detail: string }[] | undefined;
  constructor(code: CommandErrorCode, detail: string, errors?: { pointer: string; detail: string }[]) {
    super(detail);
    this.code = code;
    this.errors = errors;
  }
}

/** Optimistic concurrency lost: someone appended to the subject first. Retry from fresh state. */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  readonly subject: string;
  constructor(subject: string, options?: ErrorOptions) {
    super(`wrong last sequence on ${subject}`, options);
    this.subject = subject;
  }
}

/** A message that can never be processed (bad shape, unknown type): dead-letter it, don't retry. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

/** The service owning a command did not answer (down, or too slow). */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
  readonly service: string;
  constructor(service: string, reason: string, options?: ErrorOptions) {
    super(`${service} service unavailable: ${reason}`, options);
    this.service = service;
  }
}
