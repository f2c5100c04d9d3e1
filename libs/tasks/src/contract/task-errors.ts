/**
 * Throw this from a handler when retrying cannot help (bad data, a refused
 * business rule): the task goes to the dead-letter queue at once.
 */
export class PermanentTaskError extends Error {
  override name = 'PermanentTaskError';
}

/** Why a message went to the dead-letter queue. Written to its headers. */
export type DeadLetterReason =
  | 'invalid-json'
  | 'unreadable'
  | 'unknown-task'
  | 'invalid-payload'
  | 'too-large'
  | 'permanent-error'
  | 'attempts-exhausted';

/** A message no handler can ever run. It is dead-lettered without retries. */
export class MalformedTaskError extends Error {
  override name = 'MalformedTaskError';
  constructor(
    readonly reason: Exclude<DeadLetterReason, 'permanent-error' | 'attempts-exhausted'>,
    message: string,
  ) {
    super(message);
  }
}

/** A queue exists on the broker with arguments other than the ones this library declares. */
export class QueueMismatchError extends Error {
  override name = 'QueueMismatchError';
}
