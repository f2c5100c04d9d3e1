import { deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import {
  DONE,
  ENTRY,
  firstToPrint,
  receivedLine,
  runCli,
  type RunningProcess,
  startProcess,
  waitForLineAfter,
  WAITING,
} from '../../../test/support/processes.js';


describe('a worker killed with SIGKILL in the middle of a task', () => {
  const queue = uniqueQueue('kill');
  // 5 dots at 300 ms: 1.5 s of work, time enough to kill the worker mid-task.
  const env = { TASK_QUEUE: queue, PREFETCH_COUNT: '1', MS_PER_DOT: '300' };
  const workers: RunningProcess[] = [];

  beforeAll(async () => {
    workers.push(startProcess(ENTRY.worker, env), startProcess(ENTRY.worker, env));
    await Promise.all(workers.map((worker) => worker.waitForLine(WAITING)));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await deleteQueues(queueFamily(queue));
  });

  it('loses no task: the broker hands the unacked task to the other worker, which does it', async () => {
    const text = 'Kill me.....';
    expect(await runCli(ENTRY.newTask, [text], env)).toMatchObject({ code: 0, stdout: ` [x] Sent '${text}'` });

    const victim = await firstToPrint(workers, receivedLine(text), 10_000);
    const survivor = workers.find((worker) => worker !== victim)!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // Killed mid-task: it never finished, so it never acked.
    expect(victim.count(DONE)).toBe(0);

    await waitForLineAfter(survivor, receivedLine(text), DONE, 15_000);
    expect(survivor.lines.filter((line) => line.startsWith(' [x] Received'))).toEqual([receivedLine(text)]);
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 1 });
  });
});
