import { deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { ENTRY, runCli, type RunningProcess, startWorker } from '../../../test/support/processes.js';

describe('the tutorial work queue, across worker processes', () => {
  const queue = uniqueQueue('work-queue');
  const env = { TASK_QUEUE: queue };
  const workers: RunningProcess[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
  });
  afterAll(() => deleteQueues(queueFamily(queue)));

  it('shares tasks out round-robin between two workers', async () => {
    workers.push(await startWorker(env), await startWorker(env));
    for (let i = 1; i <= 4; i++) {
      const sent = await runCli(ENTRY.newTask, [`Task ${i}`], env);
      expect(sent).toMatchObject({ code: 0, stdout: ` [x] Sent 'Task ${i}'` });
    }
    const [first, second] = workers;
    await Promise.all([first.waitForLine("'Task 3'"), second.waitForLine("'Task 4'")]);
    expect(first.lines.filter((line) => line.includes('Received'))).toEqual([" [x] Received 'Task 1'", " [x] Received 'Task 3'"]);
    expect(second.lines.filter((line) => line.includes('Received'))).toEqual([" [x] Received 'Task 2'", " [x] Received 'Task 4'"]);
    await Promise.all([first.waitForLine(' [x] Done', 10_000, 4), second.waitForLine(' [x] Done', 10_000, 4)]);
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 2 });
  });
});
