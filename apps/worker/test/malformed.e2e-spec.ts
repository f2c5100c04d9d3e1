import type { Options } from 'amqplib';
import {
  deleteQueues,
  publishRaw,
  queueDepths,
  queueFamily,
  takeMessages,
  uniqueQueue,
} from '../../../test/support/broker.js';
import { DONE, receivedLine, type RunningProcess, startWorker, waitForLineAfter, waitForStderr } from '../../../test/support/processes.js';

const MAX_ATTEMPTS = 3;
const MAX_BYTES = 1024;

interface Malformed {
  name: string;
  body: string;
  properties: Options.Publish;
  reason: string;
}

/** Messages no handler can take, as any AMQP client could publish them. */
const MALFORMED: Malformed[] = [
  {
    name: 'a body marked JSON that does not parse',
    body: '{"text": "Hello.',
    properties: { type: 'tutorial', contentType: 'application/json' },
    reason: 'invalid-json',
  },
  {
    name: 'a Nest envelope whose pattern has no handler',
    body: JSON.stringify({ pattern: 'nope', data: 1 }),
    properties: {},
    reason: 'unknown-task',
  },
  {
    name: 'an unknown type',
    body: 'resize me',
    properties: { type: 'resize-image', contentType: 'text/plain' },
    reason: 'unknown-task',
  },
  {
    name: 'a payload that fails its task contract',
    body: JSON.stringify({ a: 1 }),
    properties: { type: 'tutorial', contentType: 'application/json' },
    reason: 'invalid-payload',
  },
  {
    name: 'a body over TASK_MAX_BYTES',
    body: 'x'.repeat(2000),
    properties: { type: 'tutorial', contentType: 'text/plain' },
    reason: 'too-large',
  },
];

describe('a message no handler can take', () => {
  const queue = uniqueQueue('malformed');
  const family = queueFamily(queue, MAX_ATTEMPTS);
  let worker: RunningProcess;

  beforeAll(async () => {
    worker = await startWorker({
      TASK_QUEUE: queue,
      TASK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      TASK_RETRY_DELAY_MS: '20',
      TASK_MAX_BYTES: String(MAX_BYTES),
    });
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await deleteQueues(family);
  });

  it.each(MALFORMED.map((malformed, index) => ({ ...malformed, index })))(
    '$name goes straight to the dead-letter queue ($reason), and the next task is done',
    async ({ body, properties, reason, index }) => {
      const id = `malformed-${index}`;
      const next = `normal task ${index}`;
      const receivedBefore = worker.count(' [x] Received');
      await publishRaw(queue, body, { ...properties, messageId: id });
      await publishRaw(queue, next, { type: 'tutorial', contentType: 'text/plain', messageId: `normal-${index}` });

      // Fair dispatch (prefetch 1): the next task comes only once the malformed one is settled.
      await waitForLineAfter(worker, receivedLine(next), DONE, 10_000);
      await waitForStderr(worker, `task ${id} dead-lettered to '${queue}.dlq' (${reason})`, 5000);
      expect(worker.child.exitCode).toBeNull();
      // The handler never ran for it: the only task received since is the normal one.
      expect(worker.lines.filter((line) => line.startsWith(' [x] Received')).slice(receivedBefore)).toEqual([receivedLine(next)]);
      expect(worker.stderr).not.toContain(`task ${id} failed`);

      const letters = await takeMessages(`${queue}.dlq`);
      expect(letters.map((letter) => letter.properties.messageId)).toEqual([id]);
      const [letter] = letters;
      // Kept whole, with the properties it came with.
      expect(letter.content.toString()).toBe(body);
      expect(letter.properties.type).toBe(properties.type);
      expect(letter.properties.contentType).toBe(properties.contentType);
      expect(letter.properties.headers).toMatchObject({
        'x-task-dead-letter-reason': reason,
        'x-task-original-queue': queue,
      });
      expect(String(letter.properties.headers?.['x-task-last-error'])).not.toBe('');

      // Nothing left unacked, nothing retried.
      const depths = await queueDepths(family);
      expect(depths).toEqual(Object.fromEntries(family.map((name) => [name, { ready: 0, unacked: 0 }])));
    },
  );
});
