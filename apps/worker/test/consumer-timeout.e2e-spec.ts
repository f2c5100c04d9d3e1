import { deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { shortenConsumerTimeout } from '../../../test/support/broker-settings.js';
import { ENTRY, runCli, type RunningProcess, startWorker } from '../../../test/support/processes.js';
import { eventually } from '../../../test/support/task-ledger.js';

/**
 * RabbitMQ closes the channel of a consumer that holds a delivery unacked
 * longer than consumer_timeout (30 min by default). The worker must survive
 * that: reconnect by itself, and get the task again.
 */
describe('a task that outlives the broker consumer_timeout', () => {
  const queue = uniqueQueue('consumer-timeout');
  let worker: RunningProcess | undefined;
  let restoreBroker: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await restoreBroker?.();
    await worker?.stop('SIGKILL');
    await deleteQueues(queueFamily(queue));
  });

  it('reconnects when the broker closes the channel, and the task is redelivered and done', async () => {
    restoreBroker = await shortenConsumerTimeout(1500);
    // Six dots at 500 ms: three seconds, twice the timeout.
    worker = await startWorker({ TASK_QUEUE: queue, MS_PER_DOT: '500' });

    expect((await runCli(ENTRY.newTask, ['Long......'], { TASK_QUEUE: queue })).code).toBe(0);
    await worker.waitForLine(" [x] Received 'Long......'");
    await eventually(() => /the broker closed the channel; reconnecting/.test(worker!.stderr), 15_000, 'the channel to be closed by the broker');
    // Back to the normal timeout before the redelivered task could time out too.
    await restoreBroker();
    restoreBroker = undefined;

    // The new channel has the normal timeout: the redelivered task is done and acked there.
    const second = await worker.waitForLine(" [x] Received 'Long......'", 20_000, worker.lines.indexOf(" [x] Received 'Long......'") + 1);
    expect(second).toBeDefined();
    await worker.waitForCount(' [x] Done', 2, 20_000);
    // The first run's late ack met a closed channel: logged, not fatal.
    expect(worker.stderr).toMatch(/could not ack task/);
    expect(worker.child.exitCode).toBeNull();
    await eventually(async () => (await queueCounts(queue)).ready === 0, 5_000, 'an empty queue');
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 1 });
  });
});
