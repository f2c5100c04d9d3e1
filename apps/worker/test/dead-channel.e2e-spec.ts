import {
  brokerConnectionsOf,
  closeBrokerConnection,
  deleteQueues,
  pollUntil,
  publishRaw,
  queueDepths,
  queueFamily,
  uniqueQueue,
} from '../../../test/support/broker.js';
import { DONE, receivedLine, type RunningProcess, startWorker, waitForStderr } from '../../../test/support/processes.js';

describe('a task whose channel dies while its handler runs', () => {
  const queue = uniqueQueue('dead-channel');
  let worker: RunningProcess | undefined;

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await deleteQueues(queueFamily(queue));
  });

  it('fails to ack, logs it, reconnects by itself, and the redelivered task is done', async () => {
    // 10 dots at 300 ms: 3 s of work, time enough for rabbitmqctl to close the connection mid-task.
    worker = await startWorker({ TASK_QUEUE: queue, MS_PER_DOT: '300' });
    const text = 'Cut off..........';
    await publishRaw(queue, text, { type: 'tutorial', contentType: 'text/plain', messageId: 'cut-off' });
    await worker.waitForLine(receivedLine(text), 10_000);

    const connections = await brokerConnectionsOf(worker.child.pid!);
    expect(connections).toHaveLength(1);
    await closeBrokerConnection(connections[0], 'test: closing the worker connection mid-task');
    // Otherwise the task was acked before the connection went, and this test proves nothing.
    expect(worker.count(DONE)).toBe(0);

    // The handler finishes, but its channel is gone: the ack fails, and says so.
    await waitForStderr(worker, 'could not ack task cut-off', 10_000);
    // The worker reconnects and consumes again; the broker redelivers the unacked task.
    const second = await worker.waitForCount(receivedLine(text), 2, 15_000);
    await worker.waitForCount(DONE, 2, 10_000);
    expect(worker.lines.slice(second + 1)).toContain(DONE);
    expect(worker.count(receivedLine(text))).toBe(2);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.signalCode).toBeNull();
    // One line per problem, no stack traces.
    expect(worker.stderr).not.toMatch(/\n\s+at /);

    await pollUntil(async () => {
      const depths = await queueDepths(queueFamily(queue));
      return Object.values(depths).every(({ ready, unacked }) => ready === 0 && unacked === 0) && depths;
    }, `an empty '${queue}'`, 5000);
    // Consuming again on a new connection, the only one it holds.
    expect(await brokerConnectionsOf(worker.child.pid!)).toHaveLength(1);
    expect(await brokerConnectionsOf(worker.child.pid!)).not.toContain(connections[0]);
  });

  it('logs why the connection was lost', () => {
    // The same worker as above: its log of the broker closing its connection.
    const stderr = worker!.stderr.replace(/\x1b\[[0-9;]*m/g, '');
    expect(stderr).toContain('Disconnected from RMQ');
    expect(stderr).toContain('test: closing the worker connection mid-task');
    expect(stderr).not.toContain('[object Object]');
  });
});
