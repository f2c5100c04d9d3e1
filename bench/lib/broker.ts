import { randomBytes } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';

/** The broker the bench uses: the first entry of AMQP_URL, or the local default. */
export function brokerUrl(): string {
  return (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').split(',')[0].trim();
}

/** A queue name no other run uses. */
export function uniqueQueue(label: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `bench.${label}.${stamp}.${randomBytes(3).toString('hex')}`;
}

/** Every queue our topology declares for a work queue (TASK_MAX_ATTEMPTS 5): work, dead letters, retries. */
export function queueFamily(queue: string, maxAttempts = 5): string[] {
  return [queue, `${queue}.dlq`, ...Array.from({ length: maxAttempts - 1 }, (_, i) => `${queue}.retry.${i + 1}`)];
}

/**
 * Queue housekeeping on a connection of its own. A broker error closes an
 * AMQP channel, so each call gets a fresh channel when the last one died.
 */
export class BrokerAdmin {
  private channel?: Channel;
  private readonly created = new Set<string>();

  private constructor(private readonly connection: ChannelModel) {}

  static async open(url = brokerUrl()): Promise<BrokerAdmin> {
    return new BrokerAdmin(await amqplib.connect(url));
  }

  /** Broker product and version, from the connection's server properties. */
  serverVersion(): string {
    const properties = this.connection.connection.serverProperties;
    return `${String(properties.product ?? 'broker')} ${String(properties.version ?? '?')}`;
  }

  /** Declares a durable work queue (as our topology does) and remembers its family for `deleteAll`. */
  async createWorkQueue(queue: string): Promise<void> {
    this.created.add(queue);
    await (await this.open()).assertQueue(queue, { durable: true });
  }

  /** Ready messages and consumers of a queue. */
  async counts(queue: string): Promise<{ ready: number; consumers: number }> {
    const { messageCount, consumerCount } = await (await this.open()).checkQueue(queue);
    return { ready: messageCount, consumers: consumerCount };
  }

  async purge(queue: string): Promise<number> {
    const { messageCount } = await (await this.open()).purgeQueue(queue);
    return messageCount;
  }

  /** Deletes every queue (with its retry and dead-letter queues) this admin created. */
  async deleteAll(): Promise<string[]> {
    const deleted: string[] = [];
    for (const queue of this.created) {
      for (const name of queueFamily(queue)) {
        try {
          await (await this.open()).deleteQueue(name);
          deleted.push(name);
        } catch (error) {
          process.stderr.write(`bench: could not delete queue ${name}: ${(error as Error).message}\n`);
          this.channel = undefined;
        }
      }
    }
    this.created.clear();
    return deleted;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  private async open(): Promise<Channel> {
    if (!this.channel) {
      const channel = await this.connection.createChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
    }
    return this.channel;
  }
}
