import { deleteQueues, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { ENTRY, runCli, startProcess } from '../../../test/support/processes.js';

/** `npm run queues -- --watch`: a live view of the task queue, its retry queues and its dead letters. */
describe('queues --watch', () => {
  const queue = uniqueQueue('queues-watch');
  afterAll(() => deleteQueues(queueFamily(queue, 3)));

  it('refreshes every second with ready, unacked, consumers and rates for each queue', async () => {
    expect((await runCli(ENTRY.newTask, ['watched'], { TASK_QUEUE: queue, TASK_MAX_ATTEMPTS: '3' })).code).toBe(0);
    const watch = startProcess(ENTRY.queues, { TASK_QUEUE: queue, TASK_MAX_ATTEMPTS: '3' }, ['--watch']);
    try {
      const header = /^name\tmessages_ready\tmessages_unacknowledged\tconsumers\tpublish\/s\tdeliver\/s\tack\/s$/;
      await watch.waitForLine(header, 10_000);
      // A second refresh: the header again, after the first one.
      await watch.waitForLine(header, 5_000, watch.lines.findIndex((line) => header.test(line)) + 1);
      const rows = new Map(watch.lines.map((line) => [line.split('\t')[0], line.split('\t')]));
      expect(rows.get(queue)?.slice(1, 4)).toEqual(['1', '0', '0']);
      for (const name of [`${queue}.retry.1`, `${queue}.retry.2`, `${queue}.dlq`]) {
        expect(rows.get(name)?.slice(1, 4)).toEqual(['0', '0', '0']);
      }
      expect(rows.get(queue)).toHaveLength(7);
    } finally {
      await watch.stop('SIGINT');
    }
  });
});
