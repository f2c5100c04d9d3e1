import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message } from 'amqplib';
import { maskBrokerUrl, maskSecrets } from '../config/broker-url.js';
import type { TaskContract } from '../contract/task-contract.js';
import { QueueMismatchError } from '../contract/task-errors.js';
import { TaskMetrics } from '../observability/task-metrics.js';
import { TASKS_MODULE_OPTIONS } from '../tasks.module-definition.js';
import { type ResolvedTasksOptions, resolveTasksOptions, type TasksModuleOptions } from '../tasks.options.js';
import { assertTaskTopology, type TaskTopology, taskTopology } from '../topology/task-topology.js';
import { type BrokerConnector, connectToBroker } from './broker-connection.js';
import { type EnqueueOptions, encodeTask, type TaskMessage } from './task-message.js';

/** Injection token for a custom connector, e.g. a fake one in unit tests. */
export const BROKER_CONNECTOR = Symbol('BROKER_CONNECTOR');

/** `enqueue` failed: the broker did not confirm the task, so it may not be stored. */
export class TaskPublishError extends Error {
  override name = 'TaskPublishError';
}

/** The outcome of `enqueueMany`. */
export interface BulkEnqueueResult {
  confirmed: number;
  failed: number;
  /** The first few failures, to show the user. */
  errors: string[];
}

/** Publishes in flight at once in `enqueueMany`: enough to hide the round trip, bounded in memory. */
const BULK_WINDOW = 512;

/**
 * Publishes tasks to the durable work queue as persistent messages and waits
 * for the broker's publisher confirm. A resolved `enqueue` means the broker has
 * taken responsibility for the task; a rejected one means it may not have.
 */
@Injectable()
export class TaskPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(TaskPublisher.name);
  private readonly options: ResolvedTasksOptions;
  private readonly connection: AmqpConnectionManager;
  private readonly topology: TaskTopology;
  private channel: ChannelWrapper;
  /** Set when the broker refused our queue declarations; publishing fails fast with it. */
  private channelFailure?: { error: TaskPublishError; at: number };
  private lastConnectError?: string;
  private closed = false;
  /** Ids of tasks the broker returned as unroutable (their queue is gone); their confirm is not a success. */
  private readonly returned = new Set<string>();
  /** Callers waiting for a connection; `close()` releases them at once. */
  private readonly connectionWaiters = new Set<(error: Error) => void>();

  constructor(
    @Inject(TASKS_MODULE_OPTIONS) options: TasksModuleOptions,
    @Optional() @Inject(BROKER_CONNECTOR) connect: BrokerConnector = connectToBroker,
    @Optional() private readonly metrics?: TaskMetrics,
  ) {
    this.options = resolveTasksOptions(options);
    this.topology = taskTopology(this.options.queue, this.options.maxAttempts);
    this.connection = connect(this.options);
    this.connection.on('connectFailed', ({ err, url }) => {
      this.lastConnectError = this.describe(err, url);
    });
    this.metrics?.setBrokerConnected('publisher', false);
    this.connection.on('connect', ({ url }) => {
      this.lastConnectError = undefined;
      this.metrics?.setBrokerConnected('publisher', true);
      this.logger.log(`connected to ${maskBrokerUrl(String(url))}`);
    });
    this.connection.on('disconnect', ({ err }) => {
      this.metrics?.setBrokerConnected('publisher', false);
      if (!this.closed) this.logger.warn(`broker connection lost: ${this.mask(err?.message ?? 'closed')}`);
    });
    this.channel = this.openChannel();
  }

  /** A confirm channel that declares the queues on every (re)connect. */
  private openChannel(): ChannelWrapper {
    const channel = this.connection.createChannel({
      json: false,
      confirm: true,
      setup: async (amqpChannel: ConfirmChannel) => {
        // Listen first: amqplib turns an unhandled channel error into a dropped connection.
        amqpChannel.on('error', () => undefined);
        amqpChannel.on('return', (message: Message) => this.onReturned(message, amqpChannel));
        await assertTaskTopology(amqpChannel, this.topology);
      },
    });
    // Setup failures surface here. A queue declared with other arguments cannot
    // be fixed by retrying: fail every publish at once with the reason.
    channel.on('error', (err: Error) => {
      const reason = this.mask(err.message);
      this.logger.error(`cannot declare the task queues: ${reason}`);
      if (err instanceof QueueMismatchError) {
        this.channelFailure = { error: new TaskPublishError(reason), at: Date.now() };
        this.metrics?.setBrokerConnected('publisher', false);
        // Closing rejects the publishes waiting on this channel.
        void channel.close().catch(() => undefined);
      }
    });
    return channel;
  }

  /** The queue tasks go to. */
  get queue(): string {
    return this.options.queue;
  }

  /** True while a broker connection is up. */
  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /**
   * Publishes one task and resolves with its message id once the broker has
   * confirmed it. Rejects with `TaskPublishError` if the broker is unreachable,
   * refuses the message, or does not confirm within `publishTimeoutMs`.
   */
  async enqueue<P>(task: TaskContract<string, P>, payload: P, options?: EnqueueOptions): Promise<string> {
    const message = encodeTask(task, payload, options);
    const startedAt = performance.now();
    try {
      await this.publish(message);
    } catch (error) {
      this.metrics?.recordRejected(task.name);
      throw error;
    }
    this.metrics?.recordEnqueued(task.name, (performance.now() - startedAt) / 1000);
    return message.properties.messageId;
  }

  /**
   * Publishes many tasks with pipelined confirms (a window of them in flight at
   * once). Never rejects for one task: it counts what was confirmed and what was not.
   */
  async enqueueMany<P>(
    task: TaskContract<string, P>,
    payloads: Iterable<P> | AsyncIterable<P>,
    onSettled?: (ok: boolean) => void,
  ): Promise<BulkEnqueueResult> {
    const result: BulkEnqueueResult = { confirmed: 0, failed: 0, errors: [] };
    const inFlight = new Set<Promise<void>>();
    for await (const payload of payloads) {
      const sent: Promise<void> = this.enqueue(task, payload).then(
        () => {
          result.confirmed++;
          onSettled?.(true);
        },
        (error: Error) => {
          result.failed++;
          if (result.errors.length < 5) result.errors.push(error.message);
          onSettled?.(false);
        },
      );
      const tracked = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= BULK_WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return result;
  }

  /** Publishes an encoded message and waits for its confirm. */
  async publish(message: TaskMessage): Promise<void> {
    if (this.closed) {
      throw new TaskPublishError('the task publisher is closed');
    }
    if (this.channelFailure) this.retryChannelAfterFailure();
    // The usual case (connected) uses the one constant timeout, so all the
    // publish timers share one timer list; only after a wait is it shortened.
    let timeout = this.options.publishTimeoutMs;
    if (!this.connection.isConnected()) {
      const waitedFrom = Date.now();
      await this.waitForConnection(timeout);
      timeout = Math.max(1, timeout - (Date.now() - waitedFrom));
    }
    const id = message.properties.messageId;
    try {
      await this.channel.sendToQueue(this.options.queue, message.content, {
        ...message.properties,
        // A task no queue takes comes back (basic.return) before its confirm, instead of vanishing.
        mandatory: true,
        timeout,
      });
    } catch (error) {
      if (this.channelFailure) throw this.channelFailure.error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new TaskPublishError(
        reason === 'timeout'
          ? `the broker did not confirm task ${message.properties.messageId} within ${this.options.publishTimeoutMs} ms`
          : `the broker did not confirm task ${message.properties.messageId}: ${this.mask(reason)}`,
      );
    }
    if (this.returned.delete(id)) {
      throw new TaskPublishError(`no queue took task ${id}: queue '${this.options.queue}' does not exist (declaring it again)`);
    }
  }

  /**
   * After a refused declaration: fail at once, but every few seconds give the
   * declaration another chance (someone may have fixed the queue), on a new channel.
   */
  private retryChannelAfterFailure(): void {
    const failure = this.channelFailure!;
    if (Date.now() - failure.at < 5000) throw failure.error;
    this.channelFailure = undefined;
    this.channel = this.openChannel();
  }

  /** The work queue was deleted under us: fail that publish, and declare the queues again. */
  private onReturned(message: Message, channel: ConfirmChannel): void {
    const id = message.properties.messageId as string | undefined;
    if (id) this.returned.add(id);
    this.logger.warn(`the broker returned task ${id ?? '(no id)'}: ${(message.fields as { replyText?: string }).replyText ?? 'unroutable'}; declaring the queues again`);
    assertTaskTopology(channel, this.topology).catch((error: Error) => this.logger.error(`cannot declare the queues: ${this.mask(error.message)}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Waits for unsent tasks to be rejected, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reject of this.connectionWaiters) reject(new TaskPublishError('the task publisher is closed'));
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  /**
   * Waits for the next connect or failed attempt. Failing on the first failed
   * attempt answers a caller within about a second when the broker is down,
   * instead of making it wait for the whole publish timeout.
   */
  private waitForConnection(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.connectionWaiters.delete(onClosed);
        this.connection.removeListener('connect', onConnect);
        this.connection.removeListener('connectFailed', onFailed);
      };
      const onClosed = (error: Error) => {
        cleanup();
        reject(error);
      };
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onFailed = ({ err, url }: { err: Error; url: unknown }) => {
        cleanup();
        reject(new TaskPublishError(`cannot reach the broker: ${this.describe(err, url)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        const last = this.lastConnectError ? `: ${this.lastConnectError}` : '';
        reject(new TaskPublishError(`cannot reach the broker within ${timeoutMs} ms${last}`));
      }, timeoutMs);
      this.connectionWaiters.add(onClosed);
      this.connection.on('connect', onConnect);
      this.connection.on('connectFailed', onFailed);
    });
  }

  private describe(err: Error | undefined, url: unknown): string {
    const where = typeof url === 'string' ? ` at ${maskBrokerUrl(url)}` : '';
    return this.mask(`${err?.message ?? 'connection failed'}${where}`);
  }

  private mask(text: string): string {
    return maskSecrets(text, this.options.urls);
  }
}
