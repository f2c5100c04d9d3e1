import { connect, publishRaw, takeMessages, waitForReady } from '../../../test/support/broker.js';
import { waitForStderr } from '../../../test/support/processes.js';
import { specResources } from '../../../test/support/spec-resources.js';

/** A dead-letter queue deleted under a running worker: the task it moves there is not lost. */
describe('a dead-letter queue deleted while the worker runs', () => {
  const { newQueue, worker } = specResources('deleted-queue');

  it('declares the queues again and the task still ends in the dead-letter queue', async () => {
    const queue = newQueue('dlq');
    const running = await worker({ TASK_QUEUE: queue });
    const connection = await connect();
    try {
      const channel = await connection.createChannel();
      await channel.deleteQueue(`${queue}.dlq`);
      await channel.close();
    } finally {
      await connection.close();
    }

    // An unknown task type goes straight to the dead-letter queue, which is gone.
    await publishRaw(queue, 'for nobody', { type: 'no-such-task', messageId: 'orphan-1' });
    await waitForStderr(running, `queue '${queue}.dlq' does not exist`, 10_000);
    await waitForReady(`${queue}.dlq`, 1, 10_000);
    const [letter] = await takeMessages(`${queue}.dlq`);
    expect(letter.properties.messageId).toBe('orphan-1');
    expect(letter.properties.headers?.['x-task-dead-letter-reason']).toBe('unknown-task');
    expect(letter.content.toString()).toBe('for nobody');
  });
});
