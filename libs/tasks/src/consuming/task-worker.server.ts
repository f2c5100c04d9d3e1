import type { ModuleRef } from '@nestjs/core';
import { type IncomingEvent, type MessageHandler, RmqContext, ServerRMQ } from '@nestjs/microservices';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { isObservable, lastValueFrom } from 'rxjs';
import { maskSecrets } from '../config/broker-url.js';
import { MaskingLogger } from '../logging/masking-logger.js';
import type { TaskContract } from '../contract/task-contract.js';
import { type DeadLetterReason, MalformedTaskError, PermanentTaskError, QueueMismatchError } from '../contract/task-errors.js';
import { TaskHeaders } from '../tasks.constants.js';
import { type ResolvedTasksOptions, resolveTasksOptions, type TasksModuleOptions } from '../tasks.options.js';
import { assertTaskTopology, type TaskTopology, taskTopology } from '../topology/task-topology.js';
import { resolveDirectDispatch, type TaskInvoker } from './direct-dispatch.js';
import { retryDelayMs } from './retry-policy.js';
import { settleOnce } from './settle-once-channel.js';
import { TASK_CONTRACT_EXTRA } from './task-handler.decorator.js';
import { createWorkerOptions } from './worker-options.js';

/**
 * What became of one delivery: `done` (acked), `retried` or `dead-lettered`
 * after its handler threw, `malformed` (dead-lettered unrun), or `unsettled`
 * (left to the broker to redeliver, as when the channel died).
 */
export type TaskOutcome = 'done' | 'retried' | 'dead-lettered' | 'malformed' | 'unsettled';

/** Callbacks for metrics; they run on the hot path, so keep them cheap. */
export interface TaskWorkerHooks {
  /** A delivery arrived. */
  onReceived?(message: ConsumeMessage): void;
  /** A delivery was settled; `durationMs` is how long its handler ran. */
  onSettled?(message: ConsumeMessage, outcome: TaskOutcome, durationMs: number): void;
  /** The consumer was registered (true) or lost (false). */
  onConsumingChanged?(consuming: boolean): void;
}

/** What a worker server takes besides its broker settings. */
export interface TaskWorkerOptions {
  /** Callbacks for metrics on every delivery (`TaskMetrics.workerHooks()`). */
  hooks?: TaskWorkerHooks;
  /**
   * Call `@TaskHandler` methods directly instead of through Nest's handler
   * pipeline, which costs about 10 µs of CPU per task (docs/benchmarks.md).
   * Pass the app's `ModuleRef`, where the handlers' controllers are found.
   *
   * Opt in only where no global enhancer must see tasks: global guards,
   * interceptors, pipes, filters and pre-request hooks (`useGlobal*()`,
   * `APP_*` providers) do not run for handlers called directly. A handler
   * with enhancers of its own, a custom parameter decorator, a request or
   * transient scope, or a task that another handler also takes, keeps Nest's
   * pipeline, and the worker logs why at start. Default: off.
   */
  directDispatch?: ModuleRef;
}

/** A task the worker can run: its contract (to validate the payload) and how to call its handler. */
interface TaskRoute {
  contract?: TaskContract;
  invoke: TaskInvoker;
}

/** A delivery read and checked, ready to run. */
interface ReadTask {
  pattern: string;
  route: TaskRoute;
  data: unknown;
}

/** Runs several sets of hooks in order (metrics plus a caller's own, say); one set is returned as it is. */
export function combineWorkerHooks(...sets: TaskWorkerHooks[]): TaskWorkerHooks {
  if (sets.length === 1) return sets[0];
  return {
    onReceived: (message) => {
      for (const hooks of sets) hooks.onReceived?.(message);
    },
    onSettled: (message, outcome, durationMs) => {
      for (const hooks of sets) hooks.onSettled?.(message, outcome, durationMs);
    },
    onConsumingChanged: (consuming) => {
      for (const hooks of sets) hooks.onConsumingChanged?.(consuming);
    },
  };
}

/**
 * Nest's RMQ server, with the delivery guarantees it lacks. It keeps the
 * transport (connection, channel setup, handlers, `RmqContext`) and owns the
 * ack of every delivery, exactly once:
 * - handler returns: ack;
 * - handler throws: the task is re-published to a retry queue with a growing
 *   delay (or to the dead-letter queue once attempts run out, or at once for a
 *   `PermanentTaskError`), and only then acked;
 * - a message no handler can take (bad JSON, unknown task, invalid payload,
 *   too large): dead-lettered with its reason, never dropped;
 * - `close()`: cancels the consumer, waits for the tasks in hand, then closes;
 * - a channel the broker closes (`consumer_timeout`, a refused ack): reconnects.
 */
export class TaskWorkerServer extends ServerRMQ {
  private readonly settings: ResolvedTasksOptions;
  /** Replaces the transport's logger: one line per error, no stacks, no passwords. */
  protected override readonly logger: MaskingLogger;
  private readonly topology: TaskTopology;
  private consumer?: { channel: ConfirmChannel; tag: string };
  private stopping = false;
  private active = 0;
  private onIdle?: () => void;
  private consumingNow = false;
  private channelWatched = false;
  /** Copies to retry or dead-letter queues the broker returned as unroutable (the queue was deleted). */
  private readonly returnedForwards = new Set<number>();
  private forwardSeq = 0;
  /**
   * Deliveries that arrive before the first consume has been announced: amqplib
   * dispatches them in the same tick as the consume-ok, ahead of whoever awaits
   * `whenConsuming()`. Holding them one turn lets a "ready" line come first.
   */
  private held: Array<[ConsumeMessage | null, ConfirmChannel]> | undefined = [];
  private readonly firstConsume: Promise<void>;
  private resolveFirstConsume!: () => void;
  private rejectFirstConsume!: (error: Error) => void;
  /** How to run each registered handler (its contract, and the direct call if it has one); built at `listen()`. */
  private readonly routes = new Map<MessageHandler, TaskRoute>();

  private readonly hooks: TaskWorkerHooks;
  private readonly directDispatch?: ModuleRef;

  constructor(options: TasksModuleOptions, { hooks = {}, directDispatch }: TaskWorkerOptions = {}) {
    const settings = resolveTasksOptions(options);
    super(createWorkerOptions(settings).options!);
    this.settings = settings;
    this.hooks = hooks;
    this.directDispatch = directDispatch;
    this.logger = new MaskingLogger('TaskWorker', settings.urls);
    this.topology = taskTopology(settings.queue, settings.maxAttempts);
    this.firstConsume = new Promise<void>((resolve, reject) => {
      this.resolveFirstConsume = resolve;
      this.rejectFirstConsume = reject;
    });
    // Nobody may be waiting yet; the rejection is still reported to whoever asks.
    this.firstConsume.catch(() => undefined);
  }

  /**
   * Resolves once the consumer is registered with the broker. (`listen()`
   * resolves earlier, before it is.) Rejects if the queues cannot be declared.
   */
  whenConsuming(): Promise<void> {
    return this.firstConsume;
  }

  /** True while a consumer is registered on a live channel. */
  isConsuming(): boolean {
    return this.consumingNow;
  }

  /** Tasks whose handlers are running now. */
  get activeTasks(): number {
    return this.active;
  }

  override async setupChannel(channel: ConfirmChannel, callback: () => void): Promise<void> {
    if (this.stopping) return callback();
    // Listen first: amqplib turns an unhandled channel error into a dropped connection.
    let closedByBroker = false;
    channel.on('error', () => (closedByBroker = true));
    channel.on('return', (returned: Message) => {
      const forwardId = returned.properties.headers?.[TaskHeaders.forwardId];
      if (typeof forwardId === 'number') this.returnedForwards.add(forwardId);
    });
    try {
      await assertTaskTopology(channel, this.topology);
      await channel.prefetch(this.settings.prefetchCount, false);
      const guarded = settleOnce(channel);
      // Only a channel that was set up is worth reopening; a refused declaration would loop.
      channel.once('close', () => this.onChannelClosed(channel, closedByBroker));
      const { consumerTag } = await channel.consume(
        this.settings.queue,
        (message) => this.onDelivery(message, guarded),
        { noAck: false },
      );
      this.consumer = { channel, tag: consumerTag };
      this.setConsuming(true);
      this.logger.log(`consuming '${this.settings.queue}' with prefetch ${this.settings.prefetchCount}`);
      this.resolveFirstConsume();
      if (this.held) setImmediate(() => this.releaseHeld());
    } catch (error) {
      if (error instanceof QueueMismatchError) {
        // Retrying cannot fix this: whenConsuming() rejects with it, and the app reports it and exits.
        this.rejectFirstConsume(error);
      } else {
        this.logger.warn(`channel setup failed: ${this.mask(error)}; retrying on the next connection`);
      }
    }
    callback();
  }

  override async listen(callback: (error?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    // Nest has registered every handler by now (it does so before listen()).
    this.planRoutes();
    return super.listen(callback);
  }

  override async start(callback: (error?: unknown) => void): Promise<void> {
    await super.start(callback);
    // The transport creates its channel wrapper on the first connect and never
    // listens for its 'error' event, which a connection lost mid-setup emits:
    // unheard, it would crash the process.
    const watch = () => {
      if (!this.channel || this.channelWatched) return;
      this.channelWatched = true;
      this.channel.on('error', (error: unknown) => this.logger.warn(`channel setup failed: ${this.mask(error)}; retrying on the next connection`));
    };
    this.server?.on('connect', watch);
    watch();
  }

  /**
   * Stops taking tasks (cancels the consumer), then waits up to `timeoutMs` for
   * the ones in hand to finish and be acked. Resolves with how many did not.
   */
  async drain(timeoutMs = this.settings.shutdownTimeoutMs): Promise<number> {
    if (!this.stopping) {
      this.stopping = true;
      const consumer = this.consumer;
      this.consumer = undefined;
      this.setConsuming(false);
      if (consumer) {
        await consumer.channel.cancel(consumer.tag).catch(() => undefined);
      }
    }
    if (this.active > 0) {
      this.logger.log(`waiting up to ${timeoutMs} ms for ${this.active} task(s) in hand`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.onIdle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    return this.active;
  }

  /** Drains, then closes the channel and the connection. */
  override async close(): Promise<void> {
    const unfinished = await this.drain();
    if (unfinished > 0) {
      this.logger.warn(`${unfinished} task(s) did not finish in time; the broker will redeliver them`);
    }
    await super.close();
  }

  /**
   * A plain string pattern is looked up as it is. Nest's lookup first tries
   * `JSON.parse` on it, which throws (and builds a stack trace) for every
   * task name that is not JSON: a cost on every message.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  private planRoutes(): void {
    const direct: string[] = [];
    for (const [pattern, handler] of this.messageHandlers) {
      let invoke: TaskInvoker = handler;
      if (this.directDispatch) {
        const resolved = resolveDirectDispatch(handler, this.directDispatch);
        if ('invoke' in resolved) {
          invoke = resolved.invoke;
          direct.push(pattern);
        } else {
          this.logger.warn(`task '${pattern}' runs through Nest's handler pipeline: ${resolved.reason}`);
        }
      }
      this.routes.set(handler, routeOf(handler, invoke));
    }
    if (direct.length > 0) this.logger.log(`calling the handlers of ${direct.map((name) => `'${name}'`).join(', ')} directly`);
  }

  /** The route of a task name, or null when no handler takes it. */
  private routeFor(pattern: string): TaskRoute | null {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return null;
    return this.routes.get(handler) ?? routeOf(handler);
  }

  private setConsuming(consuming: boolean): void {
    if (this.consumingNow === consuming) return;
    this.consumingNow = consuming;
    try {
      this.hooks.onConsumingChanged?.(consuming);
    } catch (error) {
      this.hookFailed(error);
    }
  }

  private onChannelClosed(channel: ConfirmChannel, closedByBroker: boolean): void {
    if (this.consumer?.channel === channel) {
      this.consumer = undefined;
      this.setConsuming(false);
    }
    // A channel the broker closed on a live connection is not reopened by
    // amqp-connection-manager; a fresh connection re-runs the setup.
    if (closedByBroker && !this.stopping && this.server) {
      this.logger.warn('the broker closed the channel; reconnecting (unacked tasks will be redelivered)');
      this.server.reconnect();
    }
  }

  private releaseHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [message, channel] of held) this.onDelivery(message, channel);
  }

  private onDelivery(message: ConsumeMessage | null, channel: ConfirmChannel): void {
    if (this.held) {
      this.held.push([message, channel]);
      return;
    }
    if (message === null) {
      // The broker cancelled the consumer, e.g. because the queue was deleted.
      this.setConsuming(false);
      if (!this.stopping && this.server) {
        this.logger.warn(`the broker cancelled the consumer of '${this.settings.queue}'; reconnecting`);
        this.server.reconnect();
      }
      return;
    }
    this.active++;
    try {
      this.hooks.onReceived?.(message);
    } catch (error) {
      this.hookFailed(error);
    }
    let settling: Promise<void> | undefined;
    try {
      settling = this.process(message, channel);
    } catch (error) {
      settling = Promise.reject(error);
    }
    // One callback per delivery, and none at all for a handler that finished synchronously.
    if (!settling) return this.finished();
    settling.then(
      () => this.finished(),
      (error: unknown) => {
        try {
          this.logger.error(`task ${idOf(message)} was left unsettled: ${this.mask(error)}`);
        } finally {
          this.finished();
        }
      },
    );
  }

  private finished(): void {
    if (--this.active === 0 && this.onIdle) {
      this.onIdle();
      this.onIdle = undefined;
    }
  }

  /**
   * Reads, checks and runs one delivery, and settles it. Synchronous up to the
   * handler's first `await` when the deserializer and the schema are (the hot
   * path: each extra `await` here is another turn in every task's round trip).
   * Returns a promise while the delivery is not settled yet.
   */
  private process(message: ConsumeMessage, channel: ConfirmChannel): Promise<void> | undefined {
    let task: ReadTask | Promise<ReadTask>;
    try {
      task = this.read(message);
    } catch (error) {
      return this.rejectUnreadable(message, channel, error);
    }
    if (task instanceof Promise) {
      return task.then(
        (read) => this.run(read, message, channel),
        (error: unknown) => this.rejectUnreadable(message, channel, error),
      );
    }
    return this.run(task, message, channel);
  }

  /** The task in a delivery: its name, route and checked payload. Throws when there is none. */
  private read(message: ConsumeMessage): ReadTask | Promise<ReadTask> {
    if (message.content.length > this.settings.maxMessageBytes) {
      throw new MalformedTaskError(
        'too-large',
        `body of ${message.content.length} bytes is over TASK_MAX_BYTES (${this.settings.maxMessageBytes})`,
      );
    }
    const packet = this.deserializer.deserialize(message.content, message.properties);
    return packet instanceof Promise ? packet.then((event: IncomingEvent) => this.check(event)) : this.check(packet);
  }

  private check(packet: IncomingEvent): ReadTask | Promise<ReadTask> {
    const pattern = this.getPatternAsString(packet.pattern);
    const route = this.routeFor(pattern);
    if (!route) {
      throw new MalformedTaskError('unknown-task', `no handler for task '${pattern}'`);
    }
    const data = route.contract ? validatePayload(route.contract, packet.data) : packet.data;
    return data instanceof Promise ? data.then((valid) => ({ pattern, route, data: valid })) : { pattern, route, data };
  }

  /** Dead-letters a delivery no handler can take, with why (anything but a `MalformedTaskError` came from the deserializer). */
  private async rejectUnreadable(message: ConsumeMessage, channel: ConfirmChannel, error: unknown): Promise<void> {
    const malformed = unreadable(error);
    const moved = await this.deadLetter(new RmqContext([message, channel, '']), malformed.reason, malformed.message, attemptsOf(message));
    this.settled(message, moved ? 'malformed' : 'unsettled', 0);
  }

  private run(task: ReadTask, message: ConsumeMessage, channel: ConfirmChannel): Promise<void> | undefined {
    const context = new RmqContext([message, channel, task.pattern]);
    const startedAt = performance.now();
    let result: unknown;
    try {
      // A direct call runs the handler inside amqplib's delivery callback (Nest's pipeline starts it a
      // few microtasks later); either way a synchronous throw lands here.
      result = task.route.invoke(task.data, context);
    } catch (error) {
      return this.handleFailure(context, error, startedAt);
    }
    return this.whenFinished(result, context, startedAt);
  }

  /**
   * Settles the delivery once the handler's work is over: a promise (Nest's
   * pipeline always gives one), an observable (its last value), or a plain value.
   */
  private whenFinished(result: unknown, context: RmqContext, startedAt: number): Promise<void> | undefined {
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.whenFinished(value, context, startedAt),
        (error: unknown) => this.handleFailure(context, error, startedAt),
      );
    }
    if (isObservable(result)) {
      return lastValueFrom(result, { defaultValue: undefined }).then(
        () => this.succeeded(context, startedAt),
        (error: unknown) => this.handleFailure(context, error, startedAt),
      );
    }
    this.succeeded(context, startedAt);
    return undefined;
  }

  private succeeded(context: RmqContext, startedAt: number): void {
    this.ack(context);
    this.settled(context.getMessage() as ConsumeMessage, 'done', performance.now() - startedAt);
  }

  /** Tells the hooks; a hook that throws must not leave the delivery looking unsettled. */
  private settled(message: ConsumeMessage, outcome: TaskOutcome, durationMs: number): void {
    try {
      this.hooks.onSettled?.(message, outcome, durationMs);
    } catch (error) {
      this.hookFailed(error);
    }
  }

  private hookFailed(error: unknown): void {
    this.logger.warn(`a worker hook threw: ${this.mask(error)}`);
  }

  private async handleFailure(context: RmqContext, error: unknown, startedAt: number): Promise<void> {
    const message = context.getMessage() as ConsumeMessage;
    const attempts = attemptsOf(message) + 1;
    const reason = this.mask(error);
    const duration = () => performance.now() - startedAt;
    if (isPermanent(error) || attempts >= this.settings.maxAttempts) {
      const why = isPermanent(error) ? 'permanent-error' : 'attempts-exhausted';
      const moved = await this.deadLetter(context, why, reason, attempts);
      this.settled(message, moved ? 'dead-lettered' : 'unsettled', duration());
      return;
    }
    const delay = retryDelayMs(attempts, this.settings.retryDelayMs);
    this.logger.warn(
      `task ${idOf(message)} failed (attempt ${attempts} of ${this.settings.maxAttempts}): ${reason}; retrying in ${delay} ms`,
    );
    const forwarded = await this.forward(context, this.topology.retryQueues[attempts - 1], {
      expiration: String(delay),
      headers: {
        [TaskHeaders.attempts]: attempts,
        [TaskHeaders.lastError]: truncate(reason),
        [TaskHeaders.lastFailedAt]: new Date().toISOString(),
      },
    });
    this.settled(message, forwarded ? 'retried' : 'unsettled', duration());
  }

  private deadLetter(context: RmqContext, reason: DeadLetterReason, error: string, attempts: number): Promise<boolean> {
    const message = context.getMessage() as ConsumeMessage;
    this.logger.error(`task ${idOf(message)} dead-lettered to '${this.topology.deadLetterQueue}' (${reason}): ${error}`);
    return this.forward(context, this.topology.deadLetterQueue, {
      headers: {
        [TaskHeaders.attempts]: attempts,
        [TaskHeaders.lastError]: truncate(error),
        [TaskHeaders.deadLetterReason]: reason,
        [TaskHeaders.deadLetteredAt]: new Date().toISOString(),
        [TaskHeaders.originalQueue]: this.settings.queue,
      },
    });
  }

  /**
   * Publishes a copy of the delivery to another queue on the consuming
   * channel, waits for the broker's confirm, then acks the original. A crash in
   * between leaves both (a duplicate), never neither (a loss).
   */
  private async forward(
    context: RmqContext,
    queue: string,
    extra: { headers: Record<string, unknown>; expiration?: string },
  ): Promise<boolean> {
    const message = context.getMessage() as ConsumeMessage;
    const channel = context.getChannelRef() as ConfirmChannel;
    const forwardId = ++this.forwardSeq;
    const { 'x-death': _death, ...headers } = message.properties.headers ?? {};
    const properties: Options.Publish = {
      contentType: message.properties.contentType,
      contentEncoding: message.properties.contentEncoding,
      type: message.properties.type,
      messageId: message.properties.messageId,
      correlationId: message.properties.correlationId,
      timestamp: message.properties.timestamp,
      appId: message.properties.appId,
      priority: message.properties.priority,
      persistent: true,
      // A copy no queue takes comes back (basic.return) before its confirm, instead of vanishing.
      mandatory: true,
      expiration: extra.expiration,
      headers: { ...headers, ...extra.headers, [TaskHeaders.forwardId]: forwardId },
    };
    try {
      await new Promise<void>((resolve, reject) =>
        channel.sendToQueue(queue, message.content, properties, (error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      this.logger.error(`could not move task ${idOf(message)} to '${queue}': ${this.mask(error)}; leaving it to the broker`);
      this.nackForRedelivery(context);
      return false;
    }
    if (this.returnedForwards.delete(forwardId)) {
      // Someone deleted the queue: declare the queues again and let the task come back.
      this.logger.error(`queue '${queue}' does not exist: declaring the queues again; task ${idOf(message)} goes back to the work queue`);
      await assertTaskTopology(channel, this.topology).catch((declareError: unknown) =>
        this.logger.error(`cannot declare the queues: ${this.mask(declareError)}`),
      );
      this.nackForRedelivery(context);
      return false;
    }
    this.ack(context);
    return true;
  }

  /** Acks through the RMQ context. A dead channel makes this throw; the broker then redelivers. */
  private ack(context: RmqContext): void {
    try {
      context.getChannelRef().ack(context.getMessage());
    } catch (error) {
      this.logger.warn(`could not ack task ${idOf(context.getMessage() as ConsumeMessage)}: ${this.mask(error)}; the broker will redeliver it`);
    }
  }

  private nackForRedelivery(context: RmqContext): void {
    try {
      context.getChannelRef().nack(context.getMessage(), false, true);
    } catch {
      // The channel is gone; the broker requeues everything it had unacked.
    }
  }

  private mask(error: unknown): string {
    return maskSecrets(errorText(error), this.settings.urls);
  }
}

/** Validates against the contract; synchronous for synchronous schemas (the hot path). */
function validatePayload(contract: TaskContract, payload: unknown): unknown {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = contract.schema['~standard'].validate(payload);
  } catch (error) {
    throw schemaFailed(contract, error);
  }
  return result instanceof Promise
    ? result.then(
        (settled) => validated(contract, settled),
        (error: unknown) => {
          throw schemaFailed(contract, error);
        },
      )
    : validated(contract, result);
}

/** A schema that throws instead of returning issues: the payload cannot be checked, so it is not run. */
function schemaFailed(contract: TaskContract, error: unknown): MalformedTaskError {
  return new MalformedTaskError('invalid-payload', `the schema of task '${contract.name}' failed: ${errorText(error)}`);
}

function routeOf(handler: MessageHandler, invoke: TaskInvoker = handler): TaskRoute {
  return { contract: handler.extras?.[TASK_CONTRACT_EXTRA] as TaskContract | undefined, invoke };
}

/** Why a delivery cannot be run: a `MalformedTaskError` as it is, anything else a body the deserializer could not read. */
function unreadable(error: unknown): MalformedTaskError {
  return error instanceof MalformedTaskError ? error : new MalformedTaskError('unreadable', `the deserializer failed: ${errorText(error)}`);
}

function validated(contract: TaskContract, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues) {
    throw new MalformedTaskError('invalid-payload', `payload of task '${contract.name}' is invalid: ${describeIssues(result.issues)}`);
  }
  return result.value;
}

function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path?.map((segment) => (typeof segment === 'object' ? segment.key : segment)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function');
}

function attemptsOf(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[TaskHeaders.attempts] ?? 0);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function isPermanent(error: unknown): boolean {
  return error instanceof PermanentTaskError || (error instanceof Error && error.name === 'PermanentTaskError');
}

function idOf(message: { properties: { messageId?: unknown }; fields: { deliveryTag: number } }): string {
  return message.properties.messageId ? String(message.properties.messageId) : `#${message.fields.deliveryTag}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

function truncate(text: string, max = 1000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
