import { TaskPublisher, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { brokerUrl, deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import {
  DONE,
  ENTRY,
  firstToPrint,
  receivedLine,
  type RunningProcess,
  startProcess,
  waitForLineAfter,
  WAITING,
} from '../../../test/support/processes.js';

const isReceived = (line: string) => line.startsWith(' [x] Received');

describe('fair dispatch: with prefetch 1, a busy worker gets no new task until it acks', () => {
  const queue = uniqueQueue('fair-dispatch');
  // 9 dots at 300 ms: the long task keeps its worker busy for 2.7 s.
  const env = { TASK_QUEUE: queue, PREFETCH_COUNT: '1', MS_PER_DOT: '300' };
  const workers: RunningProcess[] = [];
  let publisher: TaskPublisher;

  beforeAll(async () => {
    Logger.overrideLogger(['error', 'warn']);
    publisher = new TaskPublisher({ urls: [brokerUrl()], queue });
    workers.push(startProcess(ENTRY.worker, env), startProcess(ENTRY.worker, env));
    await Promise.all(workers.map((worker) => worker.waitForLine(WAITING)));
  });

  afterAll(async () => {
    await publisher?.close();
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await deleteQueues(queueFamily(queue));
  });

  it('sends every short task to the free worker while the other is busy with a long one', async () => {
    const long = 'Long.........';
    const shorts = ['Short 1', 'Short 2', 'Short 3', 'Short 4'];

    await publisher.enqueue(TutorialTask, long);
    const busy = await firstToPrint(workers, receivedLine(long), 10_000);
    const free = workers.find((worker) => worker !== busy)!;

    for (const text of shorts) await publisher.enqueue(TutorialTask, text);
    const takenBy: string[] = [];
    for (const text of shorts) {
      const worker = await firstToPrint(workers, receivedLine(text), 10_000);
      takenBy.push(worker === free ? 'the free worker' : 'the busy worker');
    }
    expect(takenBy).toEqual(shorts.map(() => 'the free worker'));
    for (const text of shorts) await waitForLineAfter(free, receivedLine(text), DONE, 10_000);

    // All four were done while the long task was still running, and none went to its worker.
    expect(busy.count(DONE)).toBe(0);
    expect(busy.lines.filter(isReceived)).toEqual([receivedLine(long)]);
    expect(free.lines.filter(isReceived)).toEqual(shorts.map(receivedLine));

    await waitForLineAfter(busy, receivedLine(long), DONE, 10_000);
    // Its first line after the long task's Received is its Done: nothing new arrived in between.
    const longAt = busy.lines.indexOf(receivedLine(long));
    expect(busy.lines.slice(longAt + 1).filter((line) => isReceived(line) || line === DONE)).toEqual([DONE]);
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 2 });
  });
});
