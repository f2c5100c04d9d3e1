import {
  peekMessages,
  queueCounts,
  queueDepths,
  queueFamily,
  takeMessages,
  waitForReady,
} from '../../../test/support/broker.js';
import {
  DONE,
  ENTRY,
  receivedLine,
  runCli,
  waitForLineAfter,
  waitForStderr,
} from '../../../test/support/processes.js';
import { publishTutorialTask as tutorialTask, specResources } from '../../../test/support/spec-resources.js';

const MAX_ATTEMPTS = 3;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('a task that keeps failing', () => {
  const { newQueue, worker } = specResources('retries', MAX_ATTEMPTS);

  it('is tried TASK_MAX_ATTEMPTS times, then dead-lettered with why; the worker carries on', async () => {
    const queue = newQueue('poison');
    const env = { TASK_QUEUE: queue, TASK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), TASK_RETRY_DELAY_MS: '20' };
    const running = await worker(env);
    const text = 'a poison pill';

    const before = Date.now();
    await tutorialTask(queue, text, 'poison-1');
    await waitForReady(`${queue}.dlq`, 1);
    const after = Date.now();

    await running.waitForCount(receivedLine(text), MAX_ATTEMPTS, 5000);
    expect(running.count(receivedLine(text))).toBe(MAX_ATTEMPTS);
    expect(running.count(DONE)).toBe(0);
    const depths = await queueDepths(queueFamily(queue, MAX_ATTEMPTS));
    expect(depths).toEqual({
      [queue]: { ready: 0, unacked: 0 },
      [`${queue}.retry.1`]: { ready: 0, unacked: 0 },
      [`${queue}.retry.2`]: { ready: 0, unacked: 0 },
      [`${queue}.dlq`]: { ready: 1, unacked: 0 },
    });

    const [letter, ...others] = await peekMessages(`${queue}.dlq`);
    expect(others).toHaveLength(0);
    expect(letter.content.toString()).toBe(text);
    expect(letter.properties).toMatchObject({ messageId: 'poison-1', type: 'tutorial', contentType: 'text/plain' });
    const headers = letter.properties.headers ?? {};
    expect(headers['x-task-attempts']).toBe(MAX_ATTEMPTS);
    expect(headers['x-task-last-error']).toMatch(/poison/);
    expect(headers['x-task-dead-letter-reason']).toBe('attempts-exhausted');
    expect(headers['x-task-dead-lettered-at']).toMatch(ISO_DATE);
    const deadAt = Date.parse(String(headers['x-task-dead-lettered-at']));
    expect(deadAt).toBeGreaterThanOrEqual(before - 1000);
    expect(deadAt).toBeLessThanOrEqual(after + 1000);

    // Each failure was logged with its attempt number, the last one as a dead letter.
    await waitForStderr(running, `dead-lettered to '${queue}.dlq' (attempts-exhausted)`, 5000);
    expect(running.stderr).toContain(`failed (attempt 1 of ${MAX_ATTEMPTS})`);
    expect(running.stderr).toContain(`failed (attempt 2 of ${MAX_ATTEMPTS})`);
    expect(running.stderr).not.toContain(`failed (attempt 3 of ${MAX_ATTEMPTS})`);

    // The worker is still alive and takes the next task.
    await tutorialTask(queue, 'a normal task', 'normal-1');
    await waitForLineAfter(running, receivedLine('a normal task'), DONE, 10_000);
    expect(running.child.exitCode).toBeNull();
    expect(running.count(receivedLine(text))).toBe(MAX_ATTEMPTS);
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 1 });
    expect((await queueCounts(`${queue}.dlq`)).ready).toBe(1);
  });

  it('keeps its attempt count across a worker restart', async () => {
    const queue = newQueue('restart');
    // First retry after 0.75 to 1.5 s: time enough to kill the worker while the task waits.
    const env = { TASK_QUEUE: queue, TASK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), TASK_RETRY_DELAY_MS: '1500' };
    const first = await worker(env);
    const text = 'poison across restarts';
    await tutorialTask(queue, text, 'poison-restart');

    await first.waitForLine(receivedLine(text), 10_000);
    await waitForReady(`${queue}.retry.1`, 1, 5000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(first.count(receivedLine(text))).toBe(1);
    // The task was moved and acked before the kill: it is in the retry queue (or already back), not lost.
    const waiting = await queueDepths([queue, `${queue}.retry.1`]);
    expect(waiting[queue].ready + waiting[`${queue}.retry.1`].ready).toBe(1);

    const second = await worker(env);
    // Attempt 2 after up to 1.5 s, attempt 3 up to 3 s later.
    await waitForReady(`${queue}.dlq`, 1, 15_000);

    await second.waitForCount(receivedLine(text), MAX_ATTEMPTS - 1, 5000);
    expect(first.count(receivedLine(text)) + second.count(receivedLine(text))).toBe(MAX_ATTEMPTS);
    expect(second.count(receivedLine(text))).toBe(MAX_ATTEMPTS - 1);
    const [letter] = await takeMessages(`${queue}.dlq`);
    expect(letter.properties.messageId).toBe('poison-restart');
    expect(letter.properties.headers?.['x-task-attempts']).toBe(MAX_ATTEMPTS);
    expect(letter.properties.headers?.['x-task-dead-letter-reason']).toBe('attempts-exhausted');
    const depths = await queueDepths(queueFamily(queue, MAX_ATTEMPTS));
    for (const name of [queue, `${queue}.retry.1`, `${queue}.retry.2`]) {
      expect({ name, ...depths[name] }).toEqual({ name, ready: 0, unacked: 0 });
    }
  });

  it('can be listed with `npm run dlq` and moved back to the work queue with --requeue', async () => {
    const queue = newQueue('dlq-cli');
    const env = { TASK_QUEUE: queue, TASK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), TASK_RETRY_DELAY_MS: '20' };
    const running = await worker(env);
    const text = 'poison for the dlq cli';
    await tutorialTask(queue, text, 'dlq-cli-1');
    await waitForReady(`${queue}.dlq`, 1);
    // Stopped, so that what --requeue moves back stays where the test can see it.
    expect(await running.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const listed = await runCli(ENTRY.dlq, [], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain(`1 dead letter(s) in '${queue}.dlq'`);
    const entry = listed.stdout.split('\n').find((line) => line.startsWith('dlq-cli-1 '));
    expect(entry).toBeDefined();
    expect(entry).toContain('tutorial');
    expect(entry).toContain('attempts-exhausted');
    expect(entry).toContain(`attempts=${MAX_ATTEMPTS}`);
    expect(listed.stdout).toMatch(/error: .*poison/);
    expect(listed.stdout).toContain(`body: '${text}'`);
    // Listing does not remove it.
    expect((await queueCounts(`${queue}.dlq`)).ready).toBe(1);

    const requeued = await runCli(ENTRY.dlq, ['--requeue'], env);
    expect(requeued).toMatchObject({ code: 0, stdout: `requeued 1 task(s) to '${queue}'` });
    expect((await queueCounts(`${queue}.dlq`)).ready).toBe(0);
    const [back, ...others] = await peekMessages(queue);
    expect(others).toHaveLength(0);
    expect(back.content.toString()).toBe(text);
    expect(back.properties.messageId).toBe('dlq-cli-1');
    // A fresh start: none of the dead letter's bookkeeping goes back with it.
    expect(Object.keys(back.properties.headers ?? {}).filter((name) => name.startsWith('x-task-') || name === 'x-death')).toEqual([]);

    // A worker takes it again, and it gets all its attempts afresh.
    const again = await worker(env);
    await waitForReady(`${queue}.dlq`, 1);
    await again.waitForCount(receivedLine(text), MAX_ATTEMPTS, 5000);
    expect(again.count(receivedLine(text))).toBe(MAX_ATTEMPTS);
    const [letter] = await takeMessages(`${queue}.dlq`);
    expect(letter.properties.headers?.['x-task-attempts']).toBe(MAX_ATTEMPTS);
  });
});
