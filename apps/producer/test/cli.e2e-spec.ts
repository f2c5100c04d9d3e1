import { TaskPublisher, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import {
  brokerUrl,
  deleteQueues,
  queueCounts,
  queueFamily,
  takeMessages,
  uniqueQueue,
  waitForManagementReady,
} from '../../../test/support/broker.js';
import { ENTRY, runCli, runCliWithin } from '../../../test/support/processes.js';

const PASSWORD = 'n0t-the-Guest-pw';
const CLOSED_PORT_URL = `amqp://guest:${PASSWORD}@127.0.0.1:5999`;
const HEADER = 'name\tmessages_ready\tmessages_unacknowledged\tconsumers';

/** What a CLI that fails must look like: non-zero, in time, one line on stderr, no stack, no password. */
function expectOneLineFailure(result: Awaited<ReturnType<typeof runCliWithin>>): string[] {
  expect(result.timedOut).toBe(false);
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  // Exactly one line: text, then at most the closing newline.
  expect(result.stderr).toMatch(/^[^\n]+\n?$/);
  const lines = [result.stderr.trimEnd()];
  expect(result.stderr).not.toContain('    at ');
  expect(result.stderr).not.toContain(PASSWORD);
  return lines;
}

describe('the command-line tools', () => {
  describe('new-task', () => {
    const queue = uniqueQueue('cli-new-task');
    afterAll(() => deleteQueues(queueFamily(queue)));

    it("sends 'Hello World!' when given no arguments, prints the tutorial's line and exits 0", async () => {
      const result = await runCli(ENTRY.newTask, [], { TASK_QUEUE: queue });
      expect(result).toEqual({ code: 0, stdout: " [x] Sent 'Hello World!'", stderr: '' });
      const messages = await takeMessages(queue);
      expect(messages.map((message) => message.content.toString('utf8'))).toEqual(['Hello World!']);
    });

    it('joins its arguments into one task, as new_task.py does', async () => {
      const result = await runCli(ENTRY.newTask, ['First', 'message.'], { TASK_QUEUE: queue });
      expect(result).toMatchObject({ code: 0, stdout: " [x] Sent 'First message.'" });
      expect((await takeMessages(queue)).map((message) => message.content.toString('utf8'))).toEqual(['First message.']);
    });

    it('exits non-zero within 10 s with one line on stderr when the broker is unreachable', async () => {
      const result = await runCliWithin(ENTRY.newTask, ['Lost?'], { TASK_QUEUE: queue, AMQP_URL: CLOSED_PORT_URL }, 10_000);
      const [line] = expectOneLineFailure(result);
      expect(line).toMatch(/^new-task: /);
      expect(result.stdout).toBe('');
    });
  });

  describe('a bad environment', () => {
    it.each([
      { program: 'new-task', entry: ENTRY.newTask, env: { PREFETCH_COUNT: 'abc' }, variable: 'PREFETCH_COUNT' },
      { program: 'new-task', entry: ENTRY.newTask, env: { AMQP_URL: 'http://x' }, variable: 'AMQP_URL' },
      { program: 'worker', entry: ENTRY.worker, env: { MS_PER_DOT: '-5' }, variable: 'MS_PER_DOT' },
      { program: 'producer', entry: ENTRY.producer, env: { PORT: '70000' }, variable: 'PORT' },
      { program: 'queues', entry: ENTRY.queues, env: { MANAGEMENT_URL: 'amqp://x' }, variable: 'MANAGEMENT_URL' },
    ])('makes $program exit non-zero with one line naming $variable', async ({ program, entry, env, variable }) => {
      const result = await runCliWithin(entry, [], { TASK_QUEUE: uniqueQueue('cli-bad-env'), ...env }, 10_000);
      const [line] = expectOneLineFailure(result);
      expect(line).toMatch(new RegExp(`^${program}: invalid environment: ${variable} `));
    });
  });

  describe('queues', () => {
    const queue = uniqueQueue('cli-queues');
    let publisher: TaskPublisher;

    beforeAll(() => {
      Logger.overrideLogger(['error', 'warn']);
      publisher = new TaskPublisher({ urls: [brokerUrl()], queue });
    });
    afterAll(async () => {
      await publisher?.close();
      await deleteQueues(queueFamily(queue));
    });

    const rowOf = (stdout: string, name: string) => stdout.split('\n').find((line) => line.split('\t')[0] === name);

    it('prints the header and a row per queue of the task queue, with its ready count', async () => {
      await publisher.enqueueMany(TutorialTask, ['One.', 'Two.', 'Three.']);
      // The management API counts with a delay (it samples every 5 s); let it catch up first.
      await waitForManagementReady(queue, 3);

      const result = await runCliWithin(ENTRY.queues, [], { TASK_QUEUE: queue }, 10_000);
      expect(result).toMatchObject({ code: 0, timedOut: false });
      const lines = result.stdout.split('\n');
      expect(lines[0]).toBe(HEADER);
      expect(rowOf(result.stdout, queue)).toBe(`${queue}\t3\t0\t0`);
      expect(lines.slice(1).map((line) => line.split('\t')[0])).toEqual(expect.arrayContaining(queueFamily(queue)));
    });

    it('counts a task sent just before it runs, as rabbitmqctl list_queues does', async () => {
      const before = (await queueCounts(queue)).ready;
      // Right after the management API's counts catch up, they are stale again for a few seconds.
      await waitForManagementReady(queue, before);
      await publisher.enqueue(TutorialTask, 'Just now.');

      const result = await runCliWithin(ENTRY.queues, [], { TASK_QUEUE: queue }, 10_000);
      expect(result).toMatchObject({ code: 0, timedOut: false });
      expect(rowOf(result.stdout, queue)).toMatch(new RegExp(`^${queue.replaceAll('.', '\\.')}\\t${before + 1}\\t`));
    });

    it('falls back to AMQP when the management API does not answer, and says so', async () => {
      const { ready } = await queueCounts(queue);
      const result = await runCliWithin(ENTRY.queues, [], { TASK_QUEUE: queue, MANAGEMENT_URL: 'http://127.0.0.1:5998' }, 10_000);
      expect(result).toMatchObject({ code: 0, timedOut: false });
      const lines = result.stdout.split('\n');
      expect(lines[0]).toBe(HEADER);
      // AMQP knows ready counts and consumers, not unacked ones.
      expect(rowOf(result.stdout, queue)).toBe(`${queue}\t${ready}\t?\t0`);
      expect(lines.at(-1)).toMatch(/^\(management API not available \(.*\).*showing what AMQP can tell\)$/);
    });

    it('exits non-zero within 10 s with one line on stderr when neither the management API nor AMQP answers', async () => {
      const result = await runCliWithin(ENTRY.queues, [], { TASK_QUEUE: queue, AMQP_URL: CLOSED_PORT_URL, MANAGEMENT_URL: 'http://127.0.0.1:5998' }, 10_000);
      const [line] = expectOneLineFailure(result);
      expect(line).toMatch(/^queues: /);
    });
  });
});
