export type Address = { email: string; name?: string };

/** One message as handed to a provider. */
export type OutgoingEmail = {
  emailId: string;
  to: Address;
  from: Address;
  replyTo: Address | null;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Echoed by SendGrid in every webhook event. */
  customArgs: Record<string, string>;
};

/**
 * How a send failed, which decides what the mailer may do next:
 * - `transient`: the provider certainly did not take the message (5xx, 429, connection
 *   refused): retry;
 * - `permanent`: the provider refused it (4xx): fail with the provider's reason;
 * - `ambiguous`: the request may have been taken (timeout, connection lost mid-way): never
 *   resend; the outcome is unknown.
 */
export type SendFailureKind = 'transient' | 'permanent' | 'ambiguous';

export class SendError extends Error {
  override name = 'SendError';
  readonly kind: SendFailureKind;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  constructor(
    kind: SendFailureKind,
    message: string,
    opts: { status?: number | null; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.kind = kind;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

export type EmailSender = {
  provider: string;
  /** Resolves with the provider's message id, or throws a SendError. */
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
};
