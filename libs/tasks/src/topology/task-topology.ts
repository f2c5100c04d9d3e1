import type { Channel, Options } from 'amqplib';
import { QueueMismatchError } from '../contract/task-errors.js';

/**
 * The queues behind one task queue, named from it:
 * - `<queue>`: the work queue, durable and without arguments, so the
 *   tutorial's own clients (which declare it `durable=True`) agree with it;
 * - `<queue>.retry.<n>`: where a task waits after its n-th failed attempt. Each
 *   message carries its own delay (`expiration`), and the queue dead-letters it
 *   back to the work queue when that runs out. One queue per attempt keeps a
 *   long delay from holding up a short one (TTLs only expire at the head);
 * - `<queue>.dlq`: the dead-letter queue, durable.
 */
export interface TaskTopology {
  readonly workQueue: string;
  readonly deadLetterQueue: string;
  /** Retry queues by attempt: `retryQueues[0]` follows the first failure. */
  readonly retryQueues: readonly string[];
}

/** The work queue's declaration: producer and worker both use exactly this. */
export const WORK_QUEUE_OPTIONS: Options.AssertQueue = Object.freeze({ durable: true });

export function taskTopology(queue: string, maxAttempts: number): TaskTopology {
  const retryQueues = Array.from({ length: Math.max(0, maxAttempts - 1) }, (_, i) => `${queue}.retry.${i + 1}`);
  return { workQueue: queue, deadLetterQueue: `${queue}.dlq`, retryQueues };
}

export function retryQueueOptions(workQueue: string): Options.AssertQueue {
  return {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': workQueue },
  };
}

/**
 * Declares every queue of the topology. If one already exists with other
 * arguments the broker refuses (PRECONDITION_FAILED, inequivalent arg) and
 * closes the channel; that comes back as a `QueueMismatchError` naming the
 * queue and the argument, which retrying cannot fix.
 */
export async function assertTaskTopology(channel: Channel, topology: TaskTopology): Promise<void> {
  await assertQueue(channel, topology.workQueue, WORK_QUEUE_OPTIONS);
  await assertQueue(channel, topology.deadLetterQueue, { durable: true });
  for (const retryQueue of topology.retryQueues) {
    await assertQueue(channel, retryQueue, retryQueueOptions(topology.workQueue));
  }
}

async function assertQueue(channel: Channel, queue: string, options: Options.AssertQueue): Promise<void> {
  try {
    await channel.assertQueue(queue, options);
  } catch (error) {
    throw asQueueMismatch(error) ?? error;
  }
}

/** Recognises the broker's PRECONDITION_FAILED refusal of a queue declaration. */
export function asQueueMismatch(error: unknown): QueueMismatchError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /PRECONDITION_FAILED - (inequivalent arg '([^']+)' for queue '([^']+)'[^"]*)/.exec(message);
  if (!match) return undefined;
  const [, detail, argument, queue] = match;
  return new QueueMismatchError(
    `queue '${queue}' already exists with a different '${argument}' (${detail.trim()}); ` +
      `delete the queue or configure the same arguments`,
  );
}
