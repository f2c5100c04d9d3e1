import { jest } from '@jest/globals';
import type { Channel } from 'amqplib';
import { QueueMismatchError } from '../contract/task-errors.js';
import { asQueueMismatch, assertTaskTopology, retryQueueOptions, taskTopology } from './task-topology.js';

const durableMismatch =
  "Channel closed by server: 406 (PRECONDITION-FAILED) with message \"PRECONDITION_FAILED - inequivalent arg 'durable' " +
  "for queue 'task_queue' in vhost '/': received 'true' but current is 'false'\"";

describe('taskTopology', () => {
  it('names the dead-letter queue and one retry queue per retry', () => {
    expect(taskTopology('task_queue', 3)).toEqual({
      workQueue: 'task_queue',
      deadLetterQueue: 'task_queue.dlq',
      retryQueues: ['task_queue.retry.1', 'task_queue.retry.2'],
    });
  });

  it('has no retry queue when one attempt is all there is', () => {
    expect(taskTopology('jobs', 1).retryQueues).toEqual([]);
    expect(taskTopology('jobs', 0).retryQueues).toEqual([]);
  });
});

describe('retryQueueOptions', () => {
  it('dead-letters expired tasks back to the work queue through the default exchange', () => {
    expect(retryQueueOptions('jobs')).toEqual({
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'jobs' },
    });
  });
});

describe('asQueueMismatch', () => {
  it('reads the queue and the argument from a PRECONDITION_FAILED refusal', () => {
    const mismatch = asQueueMismatch(new Error(durableMismatch));
    expect(mismatch).toBeInstanceOf(QueueMismatchError);
    expect(mismatch!.message).toContain("queue 'task_queue'");
    expect(mismatch!.message).toContain("'durable'");
    expect(mismatch!.message).toContain("received 'true' but current is 'false'");
  });

  it('also reads a refusal given as a string', () => {
    expect(asQueueMismatch(durableMismatch)).toBeInstanceOf(QueueMismatchError);
  });

  it.each([
    new Error('Socket closed abruptly during opening handshake'),
    new Error('Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - unknown delivery tag 1"'),
    'connect ECONNREFUSED 127.0.0.1:5672',
    undefined,
  ])('returns undefined for other errors (%p)', (error) => {
    expect(asQueueMismatch(error)).toBeUndefined();
  });
});

describe('assertTaskTopology', () => {
  it('declares the work, dead-letter and retry queues', async () => {
    const assertQueue = jest.fn(async (_queue: string, _options: unknown) => ({}));
    await assertTaskTopology({ assertQueue } as unknown as Channel, taskTopology('jobs', 2));
    expect(assertQueue.mock.calls).toEqual([
      ['jobs', { durable: true }],
      ['jobs.dlq', { durable: true }],
      ['jobs.retry.1', retryQueueOptions('jobs')],
    ]);
  });

  it('turns a refused declaration into a QueueMismatchError', async () => {
    const assertQueue = jest.fn(async () => {
      throw new Error(durableMismatch);
    });
    await expect(assertTaskTopology({ assertQueue } as unknown as Channel, taskTopology('task_queue', 2))).rejects.toThrow(
      QueueMismatchError,
    );
  });

  it('passes other failures through unchanged', async () => {
    const failure = new Error('Channel closed');
    const assertQueue = jest.fn(async () => {
      throw failure;
    });
    await expect(assertTaskTopology({ assertQueue } as unknown as Channel, taskTopology('jobs', 2))).rejects.toBe(failure);
  });
});
