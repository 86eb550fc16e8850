import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/**
 * NATS failures recognised by the client library's error classes and the server's API error
 * codes (`err_code`, nats-server's errors.json), never by message text, which the server and
 * client may reword in any release.
 */

/** Server error codes the client library does not name (nats-server errors.json). */
const JS_CODES = {
  /** JSStreamNameExistErr: stream name already in use (with a different configuration). */
  streamNameExists: 10058,
  /** JSConsumerNameExistErr: consumer name already in use. */
  consumerNameExists: 10013,
  /** JSConsumerAlreadyExists: a CREATE for an existing consumer with another configuration. */
  consumerAlreadyExists: 10148,
} as const;

const apiCode = (err: unknown): number | null => (err instanceof JetStreamApiError ? err.code : null);

/** Optimistic concurrency lost: "wrong last sequence" (the subject moved since we read it). */
export const isWrongLastSequence = (err: unknown): boolean => {
  const code = apiCode(err);
  return code === JetStreamApiCodes.StreamWrongLastSequence || code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
};

export const isStreamNotFound = (err: unknown): boolean => apiCode(err) === JetStreamApiCodes.StreamNotFound;
export const isConsumerNotFound = (err: unknown): boolean => apiCode(err) === JetStreamApiCodes.ConsumerNotFound;

/** Another replica created the same stream or consumer between our look and our add. */
export const isAlreadyExists = (err: unknown): boolean => {
  const code = apiCode(err);
  return code === JS_CODES.streamNameExists || code === JS_CODES.consumerNameExists || code === JS_CODES.consumerAlreadyExists;
};

/** Nobody subscribes to the subject: the service is not running (a RequestError caused by NoRespondersError). */
export const isNoResponders = (err: unknown): boolean =>
  err instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders());

export const isTimeout = (err: unknown): boolean => err instanceof errors.TimeoutError;

/** The connection is gone, closing or between servers: the request may not have left. */
export const isConnectionLost = (err: unknown): boolean =>
  err instanceof errors.ClosedConnectionError ||
  err instanceof errors.DrainingConnectionError ||
  err instanceof errors.ConnectionError ||
  (err instanceof errors.RequestError && !err.isNoResponders());

/** NATS cannot be reached right now (down, reconnecting, or JetStream not answering): a 503, not a bug. */
export const isNatsUnavailable = (err: unknown): boolean => isNoResponders(err) || isTimeout(err) || isConnectionLost(err);
