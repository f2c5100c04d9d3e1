import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, CreateChannelOpts } from 'amqp-connection-manager';
import type { ConfirmChannel, Options } from 'amqplib';
import { z } from 'zod';
import { defineTask } from '../contract/task-contract.js';
import { TutorialTask } from '../contract/tutorial-task.js';
import type { TasksModuleOptions } from '../tasks.options.js';
import { TaskPublisher, TaskPublishError } from './task-publisher.service.js';

const URL_WITH_PASSWORD = 'amqp://u:secret@h';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (one macrotask turn; no timer). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Follows a promise without awaiting it. */
function track(promise: Promise<unknown>) {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

interface Sent {
  queue: string;
  content: Buffer;
  options: Options.Publish & { timeout?: number; messageId: string };
  confirm: Deferred<boolean>;
}

/** A ChannelWrapper whose publisher confirms the test settles by hand. */
class FakeChannel extends EventEmitter {
  readonly sent: Sent[] = [];
  closed = false;
  private waiting: { count: number; done: Deferred<void> }[] = [];

  sendToQueue(queue: string, content: Buffer, options: Sent['options']): Promise<boolean> {
    const confirm = deferred<boolean>();
    this.sent.push({ queue, content, options, confirm });
    this.waiting = this.waiting.filter(({ count, done }) => (this.sent.length >= count ? (done.resolve(), false) : true));
    return confirm.promise;
  }

  /** Resolves once `count` messages in all have been handed to sendToQueue. */
  sends(count: number): Promise<void> {
    const done = deferred();
    if (this.sent.length >= count) done.resolve();
    else this.waiting.push({ count, done });
    return done.promise;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An AmqpConnectionManager that never touches the network. */
class FakeConnection extends EventEmitter {
  connected = true;
  closed = false;
  readonly channel = new FakeChannel();
  channelOptions?: CreateChannelOpts;

  isConnected(): boolean {
    return this.connected;
  }

  createChannel(options: CreateChannelOpts): FakeChannel {
    this.channelOptions = options;
    return this.channel;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(overrides: Partial<TasksModuleOptions> = {}) {
  const connection = new FakeConnection();
  const publisher = new TaskPublisher(
    { urls: [URL_WITH_PASSWORD], publishTimeoutMs: 60_000, ...overrides },
    () => connection as unknown as AmqpConnectionManager,
  );
  return { connection, channel: connection.channel, publisher };
}

const ResizeTask = defineTask('resize', {
  encoding: 'json',
  schema: z.object({ url: z.string(), width: z.number().int() }),
});

describe('TaskPublisher', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('resolves enqueue with the message id only once the broker confirms', async () => {
    const { channel, publisher } = setup();
    const enqueued = publisher.enqueue(TutorialTask, 'Hello World!');
    const state = track(enqueued);
    await channel.sends(1);
    await flush();
    expect(state.settled).toBe(false);

    channel.sent[0].confirm.resolve(true);
    await expect(enqueued).resolves.toBe(channel.sent[0].options.messageId);
  });

  it('publishes a tutorial task as a persistent text/plain message to the work queue', async () => {
    const { channel, publisher } = setup();
    const before = Math.floor(Date.now() / 1000);
    const enqueued = publisher.enqueue(TutorialTask, 'Héllo wörld...');
    await channel.sends(1);
    channel.sent[0].confirm.resolve(true);
    await enqueued;
    const after = Math.floor(Date.now() / 1000);

    const [{ queue, content, options }] = channel.sent;
    expect(queue).toBe('task_queue');
    expect(content).toEqual(Buffer.from('Héllo wörld...', 'utf8'));
    expect(options).toMatchObject({ persistent: true, type: 'tutorial', contentType: 'text/plain' });
    expect(options.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Number.isInteger(options.timestamp)).toBe(true);
    expect(options.timestamp).toBeGreaterThanOrEqual(before);
    expect(options.timestamp).toBeLessThanOrEqual(after);
  });

  it('gives every task its own message id unless the caller sets one', async () => {
    const { channel, publisher } = setup();
    const tasks = [publisher.enqueue(TutorialTask, 'a'), publisher.enqueue(TutorialTask, 'b', { messageId: 'order-42' })];
    await channel.sends(2);
    channel.sent.forEach((sent) => sent.confirm.resolve(true));
    const [first, second] = await Promise.all(tasks);
    expect(first).not.toBe(second);
    expect(second).toBe('order-42');
  });

  it('publishes a JSON contract as an application/json body', async () => {
    const { channel, publisher } = setup({ queue: 'images' });
    const payload = { url: 'https://example.com/a.png', width: 640 };
    const enqueued = publisher.enqueue(ResizeTask, payload);
    await channel.sends(1);
    channel.sent[0].confirm.resolve(true);
    await enqueued;

    const [{ queue, content, options }] = channel.sent;
    expect(queue).toBe('images');
    expect(options).toMatchObject({ persistent: true, type: 'resize', contentType: 'application/json' });
    expect(JSON.parse(content.toString('utf8'))).toEqual(payload);
  });

  it('opens a confirm channel that declares the task queues', async () => {
    const { connection } = setup({ queue: 'jobs', maxAttempts: 2 });
    expect(connection.channelOptions).toMatchObject({ confirm: true, json: false });
    const declared: [string, unknown][] = [];
    const listeners: string[] = [];
    const fakeAmqpChannel = {
      assertQueue: async (queue: string, options: unknown) => void declared.push([queue, options]),
      on: (event: string) => void listeners.push(event),
    };
    await connection.channelOptions!.setup!(fakeAmqpChannel as unknown as ConfirmChannel, () => undefined);
    expect(declared.map(([queue]) => queue)).toEqual(['jobs', 'jobs.dlq', 'jobs.retry.1']);
    expect(declared[0][1]).toEqual({ durable: true });
    // Unroutable tasks come back as 'return' events instead of vanishing behind a confirm.
    expect(listeners).toContain('return');
  });

  it('rejects with TaskPublishError, without the password, when the broker refuses the message', async () => {
    const { channel, publisher } = setup();
    const enqueued = publisher.enqueue(TutorialTask, 'Hello');
    await channel.sends(1);
    channel.sent[0].confirm.reject(new Error(`Channel closed by server on ${URL_WITH_PASSWORD}: password secret expired`));

    const error = await enqueued.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskPublishError);
    expect((error as Error).message).toContain(channel.sent[0].options.messageId);
    expect((error as Error).message).not.toContain('secret');
  });

  it('gives the broker at most publishTimeoutMs to confirm', async () => {
    const { channel, publisher } = setup({ publishTimeoutMs: 2500 });
    const enqueued = publisher.enqueue(TutorialTask, 'Hello');
    await channel.sends(1);
    const { timeout } = channel.sent[0].options;
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(2500);

    // amqp-connection-manager rejects with Error('timeout') when that runs out.
    channel.sent[0].confirm.reject(new Error('timeout'));
    await expect(enqueued).rejects.toThrow(new TaskPublishError(`the broker did not confirm task ${channel.sent[0].options.messageId} within 2500 ms`));
  });

  describe('when not connected', () => {
    it('waits for the connection, then publishes', async () => {
      const { connection, channel, publisher } = setup();
      connection.connected = false;
      const enqueued = publisher.enqueue(TutorialTask, 'Hello');
      const state = track(enqueued);
      await flush();
      expect(channel.sent).toHaveLength(0);
      expect(state.settled).toBe(false);

      connection.connected = true;
      connection.emit('connect', { url: URL_WITH_PASSWORD });
      await channel.sends(1);
      channel.sent[0].confirm.resolve(true);
      await expect(enqueued).resolves.toBe(channel.sent[0].options.messageId);
    });

    it('rejects at the first failed connection attempt, with the password masked', async () => {
      const { connection, channel, publisher } = setup();
      connection.connected = false;
      const enqueued = publisher.enqueue(TutorialTask, 'Hello');
      await flush();
      connection.emit('connectFailed', {
        err: new Error("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN (password 'secret')"),
        url: URL_WITH_PASSWORD,
      });

      const error = await enqueued.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskPublishError);
      expect((error as Error).message).toMatch(/^cannot reach the broker: ACCESS_REFUSED/);
      expect((error as Error).message).toContain('amqp://u:***@h');
      expect((error as Error).message).not.toContain('secret');
      expect(channel.sent).toHaveLength(0);
    });
  });

  describe('enqueueMany', () => {
    it('counts the confirmed and the failed tasks', async () => {
      const { channel, publisher } = setup();
      const settled: boolean[] = [];
      const result = publisher.enqueueMany(TutorialTask, ['one', 'two', 'three'], (ok) => settled.push(ok));
      await channel.sends(3);
      for (const sent of channel.sent) {
        if (sent.content.toString() === 'two') sent.confirm.reject(new Error('NOT_FOUND - no queue'));
        else sent.confirm.resolve(true);
      }

      const { confirmed, failed, errors } = await result;
      expect({ confirmed, failed }).toEqual({ confirmed: 2, failed: 1 });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('NOT_FOUND - no queue');
      expect(settled.sort()).toEqual([false, true, true]);
    });

    it('reads payloads from an async iterable', async () => {
      const { channel, publisher } = setup();
      async function* payloads() {
        yield 'a';
        yield 'b';
      }
      const result = publisher.enqueueMany(TutorialTask, payloads());
      await channel.sends(2);
      channel.sent.forEach((sent) => sent.confirm.resolve(true));
      await expect(result).resolves.toEqual({ confirmed: 2, failed: 0, errors: [] });
    });
  });

  describe('close', () => {
    it('closes the channel and the connection, and refuses tasks afterwards', async () => {
      const { connection, channel, publisher } = setup();
      await publisher.close();
      expect(channel.closed).toBe(true);
      expect(connection.closed).toBe(true);

      await expect(publisher.enqueue(TutorialTask, 'late')).rejects.toThrow(TaskPublishError);
      expect(channel.sent).toHaveLength(0);
    });

    it('rejects a task still waiting for the connection instead of leaving it to time out', async () => {
      const { connection, channel, publisher } = setup();
      connection.connected = false;
      const enqueued = publisher.enqueue(TutorialTask, 'Hello');
      enqueued.catch(() => undefined);
      const state = track(enqueued);
      await flush();
      try {
        await publisher.close();
        await flush();
        expect(state.settled).toBe(true);
        await expect(enqueued).rejects.toThrow(TaskPublishError);
        expect(channel.sent).toHaveLength(0);
      } finally {
        // Frees the waiter (and its publishTimeoutMs timer) if close() did not.
        connection.emit('connectFailed', { err: new Error('test cleanup'), url: URL_WITH_PASSWORD });
      }
    });
  });
});
