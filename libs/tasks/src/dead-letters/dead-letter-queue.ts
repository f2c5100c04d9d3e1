import amqplib, { type ConfirmChannel, type GetMessage } from 'amqplib';
import { TaskHeaders } from '../tasks.constants.js';
import { taskTopology } from '../topology/task-topology.js';

/** A dead letter as `npm run dlq` shows it. */
export interface DeadLetter {
  messageId?: string;
  type?: string;
  reason?: string;
  attempts?: number;
  lastError?: string;
  deadLetteredAt?: string;
  body: string;
}

/**
 * Reads up to `limit` dead letters without removing them: they are fetched
 * unacked and go back, in order, when the channel closes.
 */
export async function listDeadLetters(brokerUrl: string, queue: string, limit: number): Promise<{ total: number; letters: DeadLetter[] }> {
  const { deadLetterQueue } = taskTopology(queue, 1);
  const connection = await amqplib.connect(brokerUrl);
  connection.on('error', () => undefined); // surfaces as a failed operation instead
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(deadLetterQueue);
    const letters: DeadLetter[] = [];
    for (let i = 0; i < limit; i++) {
      const message = await channel.get(deadLetterQueue, { noAck: false });
      if (!message) break;
      letters.push(describe(message));
    }
    await channel.close();
    return { total: messageCount, letters };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Moves dead letters back to the work queue with a fresh attempt count: all
 * of them, or those whose message id is in `ids`. Each is re-published with a
 * confirm before it is removed from the dead-letter queue, so a crash
 * mid-way duplicates a task at worst, never loses one.
 */
export async function requeueDeadLetters(
  brokerUrl: string,
  queue: string,
  ids?: ReadonlySet<string>,
): Promise<{ requeued: number; kept: number }> {
  const { deadLetterQueue } = taskTopology(queue, 1);
  const connection = await amqplib.connect(brokerUrl);
  connection.on('error', () => undefined); // surfaces as a failed operation instead
  let requeued = 0;
  let kept = 0;
  try {
    const channel: ConfirmChannel = await connection.createConfirmChannel();
    const { messageCount } = await channel.checkQueue(deadLetterQueue);
    // Only what was there at the start: a letter dead again meanwhile waits for the next run.
    for (let i = 0; i < messageCount; i++) {
      const message = await channel.get(deadLetterQueue, { noAck: false });
      if (!message) break;
      const id = message.properties.messageId as string | undefined;
      if (ids && (!id || !ids.has(id))) {
        kept++;
        continue;
      }
      const headers = Object.fromEntries(
        Object.entries(message.properties.headers ?? {}).filter(([name]) => !name.startsWith('x-task-') && name !== 'x-death'),
      );
      await new Promise<void>((resolve, reject) =>
        channel.sendToQueue(
          queue,
          message.content,
          {
            contentType: message.properties.contentType,
            contentEncoding: message.properties.contentEncoding,
            type: message.properties.type,
            messageId: message.properties.messageId,
            timestamp: message.properties.timestamp,
            correlationId: message.properties.correlationId,
            persistent: true,
            headers,
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      channel.ack(message);
      requeued++;
    }
    // Closing the channel returns the letters we kept, in order.
    await channel.close();
    return { requeued, kept };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function describe(message: GetMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const text = (name: string) => (headers[name] === undefined ? undefined : String(headers[name]));
  return {
    messageId: message.properties.messageId as string | undefined,
    type: message.properties.type as string | undefined,
    reason: text(TaskHeaders.deadLetterReason),
    attempts: headers[TaskHeaders.attempts] === undefined ? undefined : Number(headers[TaskHeaders.attempts]),
    lastError: text(TaskHeaders.lastError),
    deadLetteredAt: text(TaskHeaders.deadLetteredAt),
    body: message.content.toString('utf8'),
  };
}
