import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqplib, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { contentTypeOf, TaskPublisher } from '../../libs/tasks/src/index.js';
import { BENCH_CONTRACTS } from '../workers/bench-tasks.js';
import { now, SENT_AT_HEADER } from '../workers/probe.js';
import type { TaskName } from '../workers/task-names.js';

export type Impl = 'ours' | 'amqplib';
export const IMPLS: readonly Impl[] = ['ours', 'amqplib'];

/**
 * Publishes with confirms to one durable queue. `ours` is the library's
 * TaskPublisher (as the bulk CLI builds it); `amqplib` is the same in plain
 * amqplib: a confirm channel, persistent messages with the same properties.
 */
export interface BenchPublisher {
  readonly impl: Impl;
  /** Awaits each confirm before the next publish. Returns messages per second. */
  single(task: TaskName, count: number, text: (i: number) => string): Promise<number>;
  /** Pipelined: `BULK_WINDOW` (512) publishes in flight at once. Returns messages per second. */
  bulk(task: TaskName, count: number, text: (i: number) => string): Promise<number>;
  /** `rate` publishes per second, each stamped with `x-bench-sent-at`; resolves once all are confirmed. */
  paced(task: TaskName, rate: number, count: number, text: (i: number) => string): Promise<void>;
  close(): Promise<void>;
}

/** The window TaskPublisher.enqueueMany keeps in flight (BULK_WINDOW in task-publisher.service.ts; the runner checks it). */
export const BULK_WINDOW = 512;

/** Calls `send(i)` at `rate` per second, on schedule (not drifting with timer lateness). */
async function onSchedule(rate: number, count: number, send: (i: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else while (performance.now() < due) { /* sub-ms: spin */ }
    send(i);
  }
}

export class OursPublisher implements BenchPublisher {
  readonly impl = 'ours';
  private readonly publisher: TaskPublisher;

  constructor(url: string, queue: string) {
    this.publisher = new TaskPublisher({ urls: [url], queue });
  }

  async single(task: TaskName, count: number, text: (i: number) => string): Promise<number> {
    const contract = BENCH_CONTRACTS[task];
    const start = performance.now();
    for (let i = 0; i < count; i++) await this.publisher.enqueue(contract, text(i));
    return (count * 1000) / (performance.now() - start);
  }

  async bulk(task: TaskName, count: number, text: (i: number) => string): Promise<number> {
    const contract = BENCH_CONTRACTS[task];
    const payloads = (function* () {
      for (let i = 0; i < count; i++) yield text(i);
    })();
    const start = performance.now();
    const result = await this.publisher.enqueueMany(contract, payloads);
    const elapsed = performance.now() - start;
    if (result.failed > 0) throw new Error(`${result.failed} publishes not confirmed: ${result.errors[0]}`);
    return (count * 1000) / elapsed;
  }

  async paced(task: TaskName, rate: number, count: number, text: (i: number) => string): Promise<void> {
    const contract = BENCH_CONTRACTS[task];
    const pending: Promise<string>[] = [];
    await onSchedule(rate, count, (i) => {
      pending.push(this.publisher.enqueue(contract, text(i), { headers: { [SENT_AT_HEADER]: now() } }));
    });
    await Promise.all(pending);
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}

export class AmqplibPublisher implements BenchPublisher {
  readonly impl = 'amqplib';
  /** Ids the broker returned as unroutable: as in TaskPublisher, their confirm is not a success. */
  private readonly returned = new Set<string>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly queue: string,
  ) {
    channel.on('return', (message) => this.returned.add(String(message.properties.messageId)));
  }

  static async open(url: string, queue: string): Promise<AmqplibPublisher> {
    const connection = await amqplib.connect(url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    return new AmqplibPublisher(connection, channel, queue);
  }

  /** The properties `encodeTask` sets, so the broker stores the same messages for both. */
  private properties(task: TaskName, headers?: Record<string, unknown>): Options.Publish {
    return {
      persistent: true,
      contentType: contentTypeOf(BENCH_CONTRACTS[task]),
      contentEncoding: 'utf-8',
      type: task,
      messageId: randomUUID(),
      timestamp: Math.floor(Date.now() / 1000),
      headers,
      mandatory: true,
    };
  }

  private publishOne(task: TaskName, body: string, done: (error: unknown) => void, headers?: Record<string, unknown>): boolean {
    const properties = this.properties(task, headers);
    return this.channel.sendToQueue(this.queue, Buffer.from(body, 'utf8'), properties, (error) => {
      if (!error && this.returned.delete(properties.messageId!)) done(new Error(`no queue took task ${properties.messageId}`));
      else done(error);
    });
  }

  async single(task: TaskName, count: number, text: (i: number) => string): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) =>
        this.publishOne(task, text(i), (error) => (error ? reject(error) : resolve())),
      );
    }
    return (count * 1000) / (performance.now() - start);
  }

  async bulk(task: TaskName, count: number, text: (i: number) => string): Promise<number> {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let settled = 0;
      let inFlight = 0;
      let waitingForDrain = false;
      const pump = (): void => {
        while (inFlight < BULK_WINDOW && sent < count && !waitingForDrain) {
          inFlight++;
          const room = this.publishOne(task, text(sent++), (error) => {
            inFlight--;
            if (error) return reject(error);
            if (++settled === count) resolve();
            else pump();
          });
          if (!room) {
            waitingForDrain = true;
            this.channel.once('drain', () => {
              waitingForDrain = false;
              pump();
            });
          }
        }
      };
      pump();
    });
    return (count * 1000) / (performance.now() - start);
  }

  async paced(task: TaskName, rate: number, count: number, text: (i: number) => string): Promise<void> {
    const pending: Promise<void>[] = [];
    await onSchedule(rate, count, (i) => {
      pending.push(
        new Promise<void>((resolve, reject) =>
          this.publishOne(task, text(i), (error) => (error ? reject(error) : resolve()), { [SENT_AT_HEADER]: now() }),
        ),
      );
    });
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

export async function openPublishers(url: string, queue: string): Promise<Record<Impl, BenchPublisher>> {
  const amqplibPublisher = await AmqplibPublisher.open(url, queue);
  return { ours: new OursPublisher(url, queue), amqplib: amqplibPublisher };
}
