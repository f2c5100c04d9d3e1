import { TaskPublisher, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import type { ChannelModel } from 'amqplib';
import {
  brokerUrl,
  connect,
  deleteQueues,
  managementQueue,
  queueFamily,
  takeMessages,
  uniqueQueue,
} from '../../../test/support/broker.js';

/**
 * Durability as the broker sees it. (Surviving an actual broker restart is
 * tested elsewhere; this file must not restart the shared broker.)
 */
describe('durable queues and persistent messages, checked through the broker', () => {
  const queue = uniqueQueue('durability');
  let publisher: TaskPublisher;
  let connection: ChannelModel;

  beforeAll(async () => {
    Logger.overrideLogger(['error', 'warn']);
    publisher = new TaskPublisher({ urls: [brokerUrl()], queue });
    connection = await connect();
  });

  afterAll(async () => {
    await publisher?.close();
    await connection?.close();
    await deleteQueues(queueFamily(queue));
  });

  it('stores what TaskPublisher sends as a persistent message with its properties', async () => {
    const sentAt = Math.floor(Date.now() / 1000);
    const id = await publisher.enqueue(TutorialTask, 'Persist me.');

    const messages = await takeMessages(queue);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message.content.toString('utf8')).toBe('Persist me.');
    expect(message.properties).toMatchObject({
      deliveryMode: 2,
      type: 'tutorial',
      contentType: 'text/plain',
      messageId: id,
    });
    expect(message.properties.timestamp).toBeGreaterThanOrEqual(sentAt);
    expect(message.properties.timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it.each([
    ['the work queue', ''],
    ['the dead-letter queue', '.dlq'],
    ['a retry queue', '.retry.1'],
  ])('declares %s durable: the broker refuses to redeclare it non-durable', async (_, suffix) => {
    // The publisher declares its queues on connect; the test above made sure it has.
    await publisher.enqueue(TutorialTask, 'declare');
    const name = queue + suffix;
    const channel = await connection.createChannel();
    // The refusal closes the channel with an error event; without a listener it would be thrown.
    channel.on('error', () => undefined);
    const closed = new Promise((resolve) => channel.once('close', resolve));

    await expect(channel.assertQueue(name, { durable: false })).rejects.toThrow(
      `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'false' but current is 'true'`,
    );
    await closed;
    expect(await managementQueue(name)).toMatchObject({ durable: true, auto_delete: false, exclusive: false });
  });
});
