import amqplib from 'amqplib';
import { maskSecrets } from '../config/broker-url.js';

/** One queue's counts, as `rabbitmqctl list_queues` shows them. */
export interface QueueStats {
  name: string;
  /** False when the queue does not exist. */
  exists: boolean;
  ready: number;
  /** Unknown (undefined) when only AMQP answered: AMQP cannot count unacked messages. */
  unacked?: number;
  consumers: number;
  /** Messages per second, from the management API only. */
  rates?: { publish: number; deliver: number; ack: number };
}

export interface QueueStatsReport {
  source: 'management' | 'amqp';
  /** Why the management API was not used, when it was not. */
  note?: string;
  queues: QueueStats[];
}

/** The management API's address for a broker URL: same host, port 15672, same credentials. */
export function managementUrlFor(brokerUrl: string): string {
  const url = new URL(brokerUrl);
  const scheme = url.protocol === 'amqps:' ? 'https' : 'http';
  const auth = url.username ? `${url.username}:${url.password}@` : '';
  return `${scheme}://${auth}${url.hostname}:15672`;
}

/**
 * Reads ready and consumer counts live over AMQP (as `rabbitmqctl list_queues`
 * does), and adds unacked counts and rates from the management API where it
 * answers (those refresh every few seconds there).
 */
export async function fetchQueueStats(
  brokerUrl: string,
  queues: readonly string[],
  managementUrl = managementUrlFor(brokerUrl),
): Promise<QueueStatsReport> {
  const [live, managed] = await Promise.all([
    fromAmqp(brokerUrl, queues),
    fromManagementApi(brokerUrl, managementUrl, queues).then(
      (stats) => ({ stats }),
      (error: Error) => ({ error }),
    ),
  ]);
  if ('error' in managed) {
    const note = `management API not available (${maskSecrets(managed.error.message, [brokerUrl, managementUrl])}); unacked counts need it`;
    return { source: 'amqp', note, queues: live };
  }
  return {
    source: 'management',
    queues: live.map((queue, i) => ({ ...queue, unacked: queue.exists ? managed.stats[i].unacked : undefined, rates: managed.stats[i].rates })),
  };
}

async function fromManagementApi(brokerUrl: string, managementUrl: string, queues: readonly string[]): Promise<QueueStats[]> {
  const base = new URL(managementUrl);
  const vhost = decodeURIComponent(new URL(brokerUrl).pathname.slice(1)) || '/';
  const headers: Record<string, string> = {};
  if (base.username) {
    const credentials = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const origin = `${base.protocol}//${base.host}`;
  return Promise.all(
    queues.map(async (name) => {
      const response = await fetch(`${origin}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`, {
        headers,
        signal: AbortSignal.timeout(2000),
      });
      if (response.status === 404) return missing(name);
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${origin}`);
      const body = (await response.json()) as ManagementQueue;
      return {
        name,
        exists: true,
        ready: body.messages_ready ?? 0,
        unacked: body.messages_unacknowledged ?? 0,
        consumers: body.consumers ?? 0,
        rates: {
          publish: body.message_stats?.publish_details?.rate ?? 0,
          deliver: body.message_stats?.deliver_get_details?.rate ?? 0,
          ack: body.message_stats?.ack_details?.rate ?? 0,
        },
      };
    }),
  );
}

interface ManagementQueue {
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: Record<string, { rate?: number } | undefined>;
}

async function fromAmqp(brokerUrl: string, queues: readonly string[]): Promise<QueueStats[]> {
  const connection = await amqplib.connect(brokerUrl);
  connection.on('error', () => undefined); // surfaces as a failed operation instead
  try {
    const stats: QueueStats[] = [];
    for (const name of queues) {
      // A missing queue closes the channel (404), so each check gets its own.
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(name);
        stats.push({ name, exists: true, ready: messageCount, consumers: consumerCount });
        await channel.close();
      } catch {
        stats.push(missing(name));
      }
    }
    return stats;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function missing(name: string): QueueStats {
  return { name, exists: false, ready: 0, consumers: 0 };
}
