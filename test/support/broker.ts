import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ChannelModel, type GetMessage } from 'amqplib';
import type { Options } from 'amqplib';

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

/** Takes every message now in a queue (basic.get, no ack), oldest first. */
export async function takeMessages(name: string): Promise<GetMessage[]> {
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    const messages: GetMessage[] = [];
    for (let message = await channel.get(name, { noAck: true }); message; message = await channel.get(name, { noAck: true })) {
      messages.push(message);
    }
    await channel.close();
    return messages;
  } finally {
    await connection.close();
  }
}

/**
 * Calls the broker's management API (same host as the broker URL, port
 * 15672, same credentials), and throws on a status other than 2xx.
 */
export async function managementApi(path: string, init: RequestInit = {}): Promise<unknown> {
  const url = new URL(brokerUrl());
  const credentials = `${decodeURIComponent(url.username || 'guest')}:${decodeURIComponent(url.password || 'guest')}`;
  const response = await fetch(`http://${url.hostname}:15672/api${path}`, {
    ...init,
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`management API ${init.method ?? 'GET'} ${path}: HTTP ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** A queue as the management API describes it (in the default vhost). */
export async function managementQueue(name: string): Promise<ManagementQueue> {
  return managementApi(`/queues/%2F/${encodeURIComponent(name)}`) as Promise<ManagementQueue>;
}

/**
 * Waits until the management API reports `ready` messages in a queue. Its
 * counts are sampled (every 5 s by default) and nothing announces a new
 * sample, so this polls.
 */
export async function waitForManagementReady(name: string, ready: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const queue = await managementQueue(name);
    if (queue.messages_ready === ready) return;
    if (Date.now() > deadline) throw new Error(`management API still reports ${queue.messages_ready} ready in '${name}', not ${ready}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sets a policy in the default vhost that applies to queues whose name matches `pattern`. */
export async function setQueuePolicy(name: string, pattern: string, definition: Record<string, unknown>): Promise<void> {
  await managementApi(`/policies/%2F/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: JSON.stringify({ pattern, definition, priority: 100, 'apply-to': 'queues' }),
  });
}

/** Deletes a policy, ignoring one that does not exist. */
export async function deletePolicy(name: string): Promise<void> {
  await managementApi(`/policies/%2F/${encodeURIComponent(name)}`, { method: 'DELETE' }).catch((error: Error) => {
    if (!error.message.includes('HTTP 404')) throw error;
  });
}

/** The fields of the management API's queue description that tests read. */
export interface ManagementQueue {
  name: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive: boolean;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
}

/** Ready count of a queue through AMQP, or undefined if the queue does not exist. */
export async function readyCountOrMissing(name: string): Promise<number | undefined> {
  const connection = await connect();
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    // A missing queue makes the broker close the channel (404); that is an answer here, not an error.
    channel.on('error', () => undefined);
    try {
      const { messageCount } = await channel.checkQueue(name);
      await channel.close();
      return messageCount;
    } catch (error) {
      if (/NOT_FOUND/.test((error as Error).message)) return undefined;
      throw error;
    }
  } finally {
    await connection.close();
  }
}

/** Publishes a raw message straight to a queue with plain amqplib and waits for the broker's confirm. */
export async function publishRaw(queue: string, content: string | Buffer, properties: Options.Publish = {}): Promise<void> {
  const connection = await connect();
  try {
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(queue, typeof content === 'string' ? Buffer.from(content, 'utf8') : content, { persistent: true, ...properties });
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Declares a queue as another client might have, e.g. with arguments the task queue does not use. */
export async function declareQueue(name: string, options: Options.AssertQueue): Promise<void> {
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(name, options);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Reads every message now in a queue, oldest first, and leaves them there (fetched unacked, returned on close). */
export async function peekMessages(name: string): Promise<GetMessage[]> {
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    const messages: GetMessage[] = [];
    for (let message = await channel.get(name); message; message = await channel.get(name)) {
      messages.push(message);
    }
    await channel.close();
    return messages;
  } finally {
    await connection.close();
  }
}

/** Ready and unacked counts of queues as the broker sees them (AMQP alone cannot count unacked messages). */
export async function queueDepths(names: string[]): Promise<Record<string, { ready: number; unacked: number }>> {
  const { stdout } = await exec('rabbitmqctl', ['list_queues', '-q', '--formatter', 'json', 'name', 'messages_ready', 'messages_unacknowledged'], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const rows = JSON.parse(stdout) as { name: string; messages_ready: number; messages_unacknowledged: number }[];
  const wanted = new Set(names);
  return Object.fromEntries(
    rows.filter((row) => wanted.has(row.name)).map((row) => [row.name, { ready: row.messages_ready, unacked: row.messages_unacknowledged }]),
  );
}

/** Polls the broker (or anything) with `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves once a queue holds exactly `ready` ready messages. */
export function waitForReady(name: string, ready: number, timeoutMs = 10_000): Promise<true> {
  return pollUntil(async () => (await queueCounts(name)).ready === ready || undefined, `${ready} ready message(s) in '${name}'`, timeoutMs);
}

/**
 * The broker's ids (`rabbitmqctl list_connections pid`) of the AMQP
 * connections an OS process holds, matched by its local TCP ports, so that a
 * test can close just its own process's connections on a shared broker.
 */
export async function brokerConnectionsOf(osPid: number): Promise<string[]> {
  const { stdout: sockets } = await exec('ss', ['-tnpH', 'state', 'established'], { timeout: 10_000 });
  const ports = new Set(
    sockets
      .split('\n')
      .filter((line) => line.includes(`pid=${osPid},`))
      .map((line) => /:(\d+)\s+\S+:\d+\s/.exec(line)?.[1])
      .filter((port): port is string => port !== undefined),
  );
  const { stdout } = await exec('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'peer_port'], { timeout: 30_000 });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, port]) => pid && ports.has(port))
    .map(([pid]) => pid);
}

/** Closes one connection from the broker side, as an operator (or a broker policy) would. */
export async function closeBrokerConnection(pid: string, reason: string): Promise<void> {
  await exec('rabbitmqctl', ['close_connection', pid, reason], { timeout: 30_000 });
}
