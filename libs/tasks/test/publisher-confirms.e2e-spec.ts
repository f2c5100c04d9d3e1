import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { TaskPublisher, TaskPublishError, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import {
  brokerUrl,
  deletePolicy,
  deleteQueues,
  queueCounts,
  queueFamily,
  readyCountOrMissing,
  setQueuePolicy,
  uniqueQueue,
} from '../../../test/support/broker.js';

const PASSWORD = 'n0t-the-Guest-pw';
/** Nothing listens on this port: connecting is refused at once. */
const CLOSED_PORT_URL = `amqp://guest:${PASSWORD}@127.0.0.1:5999`;

/** Settles a promise into its error, failing if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but it resolved');
}

/** What happened to a task, in words a failing assertion can show. */
function describeOutcome(outcome: string, stored: number | undefined): string {
  if (outcome !== 'resolved') return outcome;
  if (stored === 1) return 'resolved and stored';
  return `resolved, but ${stored === undefined ? 'the queue does not exist' : `the queue holds ${stored}`}: the task is lost`;
}

describe('TaskPublisher.enqueue and publisher confirms', () => {
  const publishers: TaskPublisher[] = [];
  const open = (options: ConstructorParameters<typeof TaskPublisher>[0]) => {
    const publisher = new TaskPublisher(options);
    publishers.push(publisher);
    return publisher;
  };

  beforeAll(() => Logger.overrideLogger(['error']));
  afterAll(() => Promise.all(publishers.map((publisher) => publisher.close())));

  describe('with the broker up', () => {
    const queue = uniqueQueue('confirms');
    afterAll(() => deleteQueues(queueFamily(queue)));

    it('resolves only once the task is in the queue', async () => {
      const publisher = open({ urls: [brokerUrl()], queue });
      const id = await publisher.enqueue(TutorialTask, 'Confirmed.');
      expect(id).toEqual(expect.any(String));
      expect(await queueCounts(queue)).toEqual({ ready: 1, consumers: 0 });

      // The same holds for a batch with pipelined confirms.
      const result = await publisher.enqueueMany(TutorialTask, Array.from({ length: 200 }, (_, i) => `Batch ${i}`));
      expect(result).toEqual({ confirmed: 200, failed: 0, errors: [] });
      expect(await queueCounts(queue)).toEqual({ ready: 201, consumers: 0 });
    });

    it('never resolves for a task the broker did not store, even after its queue was deleted', async () => {
      const gone = uniqueQueue('confirms-gone');
      try {
        const publisher = open({ urls: [brokerUrl()], queue: gone, publishTimeoutMs: 3000 });
        await publisher.enqueue(TutorialTask, 'Before.');
        // An operator deletes the queue while the publisher stays connected.
        await deleteQueues([gone]);

        const outcome = await publisher.enqueue(TutorialTask, 'After.').then(
          () => 'resolved',
          (error: Error) => (error instanceof TaskPublishError ? 'rejected' : `failed with ${error.name}`),
        );
        const stored = await readyCountOrMissing(gone);
        // A resolved enqueue promises the task is in the queue; if it cannot be, enqueue must reject.
        expect(['rejected', 'resolved and stored']).toContain(describeOutcome(outcome, stored));
      } finally {
        await deleteQueues(queueFamily(gone));
      }
    });
  });

  describe('when the broker refuses a message (basic.nack)', () => {
    const queue = uniqueQueue('confirms-nack');
    const policy = `${queue}.max-length`;

    beforeAll(() =>
      // A full queue that rejects publishes nacks them; set before the queue exists, so it applies from the start.
      setQueuePolicy(policy, `^${queue.replaceAll('.', '\\.')}$`, { 'max-length': 1, overflow: 'reject-publish' }),
    );
    afterAll(async () => {
      await deletePolicy(policy);
      await deleteQueues(queueFamily(queue));
    });

    it('rejects with TaskPublishError instead of resolving', async () => {
      const publisher = open({ urls: [brokerUrl()], queue, publishTimeoutMs: 5000 });
      await publisher.enqueue(TutorialTask, 'Fits.');

      const error = await rejectionOf(publisher.enqueue(TutorialTask, 'Does not fit.'));
      expect(error).toBeInstanceOf(TaskPublishError);
      expect(error.message).toMatch(/did not confirm task/);
      expect(await queueCounts(queue)).toEqual({ ready: 1, consumers: 0 });
    });
  });

  describe('with the broker unreachable', () => {
    const queue = uniqueQueue('confirms-down');

    it('rejects with TaskPublishError within the publish timeout when the port is closed, without the password', async () => {
      const publisher = open({ urls: [CLOSED_PORT_URL], queue, publishTimeoutMs: 3000 });
      const startedAt = Date.now();
      const error = await rejectionOf(publisher.enqueue(TutorialTask, 'Lost?'));
      expect(Date.now() - startedAt).toBeLessThan(3000);
      expect(error).toBeInstanceOf(TaskPublishError);
      expect(error.message).toMatch(/cannot reach the broker/);
      expect(error.message).not.toContain(PASSWORD);
      expect(String(error.stack)).not.toContain(PASSWORD);
    });

    describe('when the broker accepts the connection but never answers', () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });

      beforeAll(async () => {
        silent.listen(0, '127.0.0.1');
        await once(silent, 'listening');
      });
      afterAll(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      });

      it('rejects with TaskPublishError once the publish timeout runs out', async () => {
        const { port } = silent.address() as AddressInfo;
        const publisher = open({ urls: [`amqp://guest:${PASSWORD}@127.0.0.1:${port}`], queue, publishTimeoutMs: 1500 });
        const startedAt = Date.now();
        const error = await rejectionOf(publisher.enqueue(TutorialTask, 'Lost?'));
        const elapsed = Date.now() - startedAt;
        expect(error).toBeInstanceOf(TaskPublishError);
        expect(error.message).toMatch(/1500 ms/);
        expect(error.message).not.toContain(PASSWORD);
        expect(elapsed).toBeGreaterThanOrEqual(1400);
        expect(elapsed).toBeLessThan(3000);
      });
    });
  });
});
