import { TaskPublisher, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { brokerUrl, deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { type RunningProcess, startWorker } from '../../../test/support/processes.js';
import { countChaos, eventually, tasksDone } from '../../../test/support/task-ledger.js';

/**
 * Chaos: three workers work through several hundred tasks while workers are
 * killed with kill -9 and replaced, again and again. Every confirmed task must
 * be done at least once, and nothing may be left ready or unacked.
 */
describe('chaos: workers killed with kill -9 mid-stream', () => {
  const queue = uniqueQueue('chaos-kill');
  const env = { TASK_QUEUE: queue, MS_PER_DOT: '30' };
  const TASKS = 500;
  const KILLS = 8;
  const all: RunningProcess[] = [];
  let publisher: TaskPublisher;

  beforeAll(() => {
    Logger.overrideLogger(false);
    publisher = new TaskPublisher({ urls: [brokerUrl()], queue });
  });
  afterAll(async () => {
    await Promise.all(all.map((worker) => worker.stop('SIGKILL')));
    await publisher.close();
    await deleteQueues(queueFamily(queue));
  });

  it('does every confirmed task at least once and leaves nothing ready or unacked', async () => {
    const start = async () => {
      const worker = await startWorker(env);
      all.push(worker);
      return worker;
    };
    const live = await Promise.all([start(), start(), start()]);

    // Tasks of one to three dots: 30 to 90 ms of work each, about ten seconds in all.
    const texts = Array.from({ length: TASKS }, (_, i) => `chaos ${i} ${'.'.repeat(1 + (i % 3))}`);
    const result = await publisher.enqueueMany(TutorialTask, texts);
    expect(result).toMatchObject({ confirmed: TASKS, failed: 0 });

    let kills = 0;
    while (kills < KILLS && tasksDone(all).size < TASKS - 50) {
      const slot = kills % live.length;
      // Kill mid-task: right after the victim has started its next task.
      await live[slot].waitForLine(/Received/, 30_000, live[slot].lines.length + 1);
      await live[slot].stop('SIGKILL');
      kills++;
      live[slot] = await start();
    }
    expect(kills).toBeGreaterThanOrEqual(5);

    await eventually(() => tasksDone(all).size >= TASKS, 60_000, `all ${TASKS} tasks to be done`);
    const counts = countChaos(`chaos kill -9 (${kills} kills)`, TASKS, texts, tasksDone(all));
    expect(counts).toMatchObject({ confirmed: TASKS, lost: 0 });

    // With the workers gone, anything unacked would be back in the queue as ready.
    await Promise.all(live.map((worker) => worker.stop('SIGTERM')));
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
  });
});
