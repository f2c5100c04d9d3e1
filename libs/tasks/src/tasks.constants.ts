/** The tutorial's queue name, used when none is configured. */
export const DEFAULT_TASK_QUEUE = 'task_queue';
/** Fair dispatch: a worker gets no new task until it acks the one in hand. */
export const DEFAULT_PREFETCH_COUNT = 1;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_DELAY_MS = 1000;
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
export const DEFAULT_BROKER_URL = 'amqp://guest:guest@localhost:5672';

/**
 * Headers this library writes. They travel inside the message, so what they
 * record survives worker restarts.
 */
export const TaskHeaders = {
  /** Attempts already made (handler runs that failed). */
  attempts: 'x-task-attempts',
  lastError: 'x-task-last-error',
  lastFailedAt: 'x-task-last-failed-at',
  /** Why the task is in the dead-letter queue: see `DeadLetterReason`. */
  deadLetterReason: 'x-task-dead-letter-reason',
  deadLetteredAt: 'x-task-dead-lettered-at',
  originalQueue: 'x-task-original-queue',
  /** Marks a copy the worker forwarded, so that a copy the broker returns (its queue gone) is recognised. */
  forwardId: 'x-task-forward-id',
} as const;
