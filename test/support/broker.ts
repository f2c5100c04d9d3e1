import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ChannelModel } from 'amqplib';

/** The broker the tests use: `AMQP_URL` (first entry) or the local default. */
export function brokerUrl(): string {
  return (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').split(',')[0].trim();
}

/** A queue name no other test file uses. */
export function uniqueQueue(prefix: string): string {
  return `test.${prefix}.${randomBytes(4).toString('hex')}`;
}

/** Every queue a task queue may have declared: work, retries, dead letters. */
export function queueFamily(queue: string, maxAttempts = 5): string[] {
  return [queue, `${queue}.dlq`, ...Array.from({ length: Math.max(0, maxAttempts - 1) }, (_, i) => `${queue}.retry.${i + 1}`)];
}

export async function connect(): Promise<ChannelModel> {
  return amqplib.connect(brokerUrl());
}

/** Deletes queues, ignoring ones that do not exist. */
export async function deleteQueues(names: string[]): Promise<void> {
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Ready and consumer counts of a queue, through AMQP. */
export async function queueCounts(name: string): Promise<{ ready: number; consumers: number }> {
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    const { messageCount, consumerCount } = await channel.checkQueue(name);
    await channel.close();
    return { ready: messageCount, consumers: consumerCount };
  } finally {
    await connection.close();
  }
}

const exec = promisify(execFile);

/** Stops the broker's app (the node keeps running), as a broker restart would. */
export async function stopBroker(): Promise<void> {
  await exec('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
}

/** Starts the broker's app again and waits until it accepts connections. */
export async function startBroker(): Promise<void> {
  await exec('rabbitmqctl', ['start_app'], { timeout: 120_000 });
  await exec('rabbitmqctl', ['await_startup'], { timeout: 120_000 });
  await waitForBroker();
}

/** Polls until an AMQP connection succeeds. */
export async function waitForBroker(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await connect();
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
