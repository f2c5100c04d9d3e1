import { Logger } from '@nestjs/common';
import { ClientRMQ } from '@nestjs/microservices';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { brokerUrl, connect, deleteQueues, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import {
  DONE,
  ENTRY,
  receivedLine,
  runCli,
  type RunningProcess,
  startWorker,
  waitForLineAfter,
} from '../../../test/support/processes.js';


/**
 * The wire format is plain AMQP, so the tutorial's own clients (pika's
 * new_task.py and worker.py) and Nest's stock client work with these apps.
 * A plain amqplib client stands in for pika here.
 */
describe('interop with plain AMQP clients', () => {
  let connection: ChannelModel;

  beforeAll(async () => {
    Logger.overrideLogger(['error', 'warn']);
    connection = await connect();
  });
  afterAll(() => connection?.close());

  describe('a plain publisher, read by the real worker', () => {
    const queue = uniqueQueue('interop-in');
    let worker: RunningProcess | undefined;

    beforeAll(async () => {
      // As new_task.py does: channel.queue_declare(queue=..., durable=True), before any worker ran.
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, { durable: true });
      await channel.close();
      worker = await startWorker({ TASK_QUEUE: queue });
    });
    afterAll(async () => {
      await worker?.stop('SIGKILL');
      await deleteQueues(queueFamily(queue));
    });

    /** Publishes with confirms, the way a careful plain client would. */
    async function publish(body: Buffer, properties: Record<string, unknown>): Promise<void> {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(queue, body, properties);
      await channel.waitForConfirms();
      await channel.close();
    }

    it("does a plain text body with no type and no content type (pika's new_task.py) as the tutorial task", async () => {
      // pika: properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
      await publish(Buffer.from('Hello from pika..', 'utf8'), { deliveryMode: 2 });
      await waitForLineAfter(worker!, receivedLine('Hello from pika..'), DONE, 10_000);
    });

    it('does a Nest envelope body {"pattern":"tutorial","data":...} with no type', async () => {
      await publish(Buffer.from(JSON.stringify({ pattern: 'tutorial', data: 'Nest envelope.' })), { persistent: true });
      await waitForLineAfter(worker!, receivedLine('Nest envelope.'), DONE, 10_000);
    });

    it("does what Nest's own ClientRMQ.emit sends", async () => {
      const client = new ClientRMQ({ urls: [brokerUrl()], queue, queueOptions: { durable: true }, persistent: true });
      try {
        await client.connect();
        await lastValueFrom(client.emit('tutorial', 'From ClientRMQ.'), { defaultValue: undefined });
      } finally {
        await client.close();
      }
      await waitForLineAfter(worker!, receivedLine('From ClientRMQ.'), DONE, 10_000);
    });
  });

  describe('a plain consumer, reading what new-task sends', () => {
    const queue = uniqueQueue('interop-out');
    afterAll(() => deleteQueues(queueFamily(queue)));

    it('gets exactly the text as the body, with type tutorial and content type text/plain', async () => {
      const text = 'Grüße, wörld… ✓ ...';
      const sent = await runCli(ENTRY.newTask, [text], { TASK_QUEUE: queue });
      expect(sent).toMatchObject({ code: 0, stdout: ` [x] Sent '${text}'` });

      // As worker.py does: declare durable, prefetch 1, consume with manual ack.
      const channel = await connection.createChannel();
      try {
        await channel.assertQueue(queue, { durable: true });
        await channel.prefetch(1);
        const message = await new Promise<ConsumeMessage>((resolve) => {
          void channel.consume(queue, (delivered) => delivered && resolve(delivered), { noAck: false });
        });
        channel.ack(message);

        expect(message.content.equals(Buffer.from(text, 'utf8'))).toBe(true);
        expect(message.content.toString('utf8')).toBe(text);
        expect(message.properties).toMatchObject({ type: 'tutorial', contentType: 'text/plain', deliveryMode: 2 });
      } finally {
        await channel.close();
      }
    });
  });
});
