import type { Options } from 'amqplib';
import { declareQueue, deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { ENTRY, runCliWithin } from '../../../test/support/processes.js';

const ANSI_COLOURS = /\x1b\[[0-9;]*m/g;

/** Queues another client declared first, with arguments the task queue does not use (it is durable, without arguments). */
const MISMATCHES: { name: string; options: Options.AssertQueue; argument: string }[] = [
  { name: 'a transient queue', options: { durable: false }, argument: 'durable' },
  { name: 'a queue with x-max-length', options: { durable: true, arguments: { 'x-max-length': 10 } }, argument: 'x-max-length' },
];

/** The stderr lines that report the mismatch of `argument` on `queue`. */
function mismatchLines(stderr: string, queue: string, argument: string): string[] {
  return stderr
    .replace(ANSI_COLOURS, '')
    .split('\n')
    .filter((line) => line.includes(`inequivalent arg '${argument}'`) && line.includes(`'${queue}'`));
}

describe.each(MISMATCHES)('a work queue already declared as $name', ({ options, argument }) => {
  const queues: string[] = [];

  async function mismatchedQueue(): Promise<string> {
    const queue = uniqueQueue(`queue-mismatch-${argument}`);
    queues.push(queue);
    await declareQueue(queue, options);
    return queue;
  }

  afterAll(() => deleteQueues(queues.flatMap((queue) => queueFamily(queue))));

  it('stops the worker within seconds, with one line naming the queue and the argument', async () => {
    const queue = await mismatchedQueue();
    // Killed after 10 s: a worker that retries forever fails here instead of hanging the test.
    const run = await runCliWithin(ENTRY.worker, [], { TASK_QUEUE: queue }, 10_000);

    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.ms).toBeLessThan(5000);
    expect(run.stdout).not.toContain('[*] Waiting for messages');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toContain('retrying on the next connection');
    // The queue someone else declared is left as it was.
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
    // Said once, not once per layer (or per reconnect).
    expect(mismatchLines(run.stderr, queue, argument)).toHaveLength(1);
  });

  it('makes `new-task` fail at once, non-zero, with a clear message instead of waiting for the publish timeout', async () => {
    const queue = await mismatchedQueue();
    // PUBLISH_TIMEOUT_MS is left at its default, 10 s: a CLI that gives up only then is too slow.
    const run = await runCliWithin(ENTRY.newTask, ['Hello'], { TASK_QUEUE: queue }, 15_000);

    expect(run.stdout).not.toContain('[x] Sent');
    expect(run.stderr).toContain(`inequivalent arg '${argument}'`);
    expect(mismatchLines(run.stderr, queue, argument)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.ms).toBeLessThan(5000);
    // Nothing was published to it.
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
  });
});
