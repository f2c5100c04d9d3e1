import {
  pollUntil,
  queueCounts,
  queueDepths,
  takeMessages,
} from '../../../test/support/broker.js';
import {
  DONE,
  receivedLine,
  waitForLineAfter,
  waitForStderr,
} from '../../../test/support/processes.js';
import { publishTutorialTask as tutorialTask, specResources } from '../../../test/support/spec-resources.js';

const RECEIVED = ' [x] Received';

describe('a worker told to stop in the middle of a task', () => {
  const { newQueue, worker } = specResources('shutdown');

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: finishes and acks the task in hand, takes no new one, and exits 0',
    async (signal) => {
      const queue = newQueue(signal.toLowerCase());
      // 5 dots at 300 ms: 1.5 s of work to stop in the middle of. Prefetch 2: a consumer left
      // running would be handed the second task at once, while the first is still in hand.
      const first = await worker({ TASK_QUEUE: queue, MS_PER_DOT: '300', PREFETCH_COUNT: '2' });
      const slow = 'Slow.....';
      await tutorialTask(queue, slow);
      await first.waitForLine(receivedLine(slow), 10_000);

      first.child.kill(signal);
      await waitForStderr(first, `${signal}: finishing the tasks in hand`, 5000);
      // Sent while the worker drains: it must stay in the queue for another worker.
      await tutorialTask(queue, 'Second');

      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(first.lines.filter((line) => line.startsWith(RECEIVED) || line === DONE)).toEqual([receivedLine(slow), DONE]);
      // The slow task was acked (not back in the queue); only the second one waits, with no consumer.
      expect(await queueCounts(queue)).toEqual({ ready: 1, consumers: 0 });

      const second = await worker({ TASK_QUEUE: queue, MS_PER_DOT: '10' });
      await waitForLineAfter(second, receivedLine('Second'), DONE, 10_000);
      expect(second.lines.filter((line) => line.startsWith(RECEIVED))).toEqual([receivedLine('Second')]);
      expect(await queueDepths([queue])).toEqual({ [queue]: { ready: 0, unacked: 0 } });
    },
  );

  it('a second signal exits at once, non-zero, and the unfinished task is redelivered', async () => {
    const queue = newQueue('twice');
    // 10 dots at 300 ms: 3 s of work, far longer than an immediate exit takes.
    const first = await worker({ TASK_QUEUE: queue, MS_PER_DOT: '300' });
    const slow = 'Very slow..........';
    await tutorialTask(queue, slow);
    await first.waitForLine(receivedLine(slow), 10_000);

    first.child.kill('SIGTERM');
    await waitForStderr(first, 'SIGTERM: finishing the tasks in hand', 5000);
    const secondSignalAt = performance.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    const exitMs = performance.now() - secondSignalAt;

    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exitMs).toBeLessThan(1000);
    expect(first.count(DONE)).toBe(0);
    expect(first.stderr).toContain('SIGTERM again: exiting now');

    // Never acked, so the broker puts it back for the next worker (once it sees the connection gone).
    await pollUntil(async () => {
      const counts = await queueCounts(queue);
      return counts.ready === 1 && counts.consumers === 0;
    }, `the task back in '${queue}'`, 5000);
    const second = await worker({ TASK_QUEUE: queue, MS_PER_DOT: '10' });
    await waitForLineAfter(second, receivedLine(slow), DONE, 10_000);
    expect(await queueDepths([queue])).toEqual({ [queue]: { ready: 0, unacked: 0 } });
    // Nothing was retried or dead-lettered on the way.
    expect(await takeMessages(`${queue}.dlq`)).toHaveLength(0);
  });
});
