import { defineTask, PermanentTaskError, TaskHandler, TaskHeaders, type TaskWorkerHooks, TaskWorkerServer } from '@app/tasks';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Injectable,
  type INestMicroservice,
  Logger,
  type LogLevel,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, Payload, RmqContext } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ConsumeMessage } from 'amqplib';
import { Observable } from 'rxjs';
import { z } from 'zod';
import {
  brokerUrl,
  deleteQueues,
  peekMessages,
  pollUntil,
  publishRaw,
  queueDepths,
  queueFamily,
  uniqueQueue,
  waitForReady,
} from '../../../test/support/broker.js';

const MAX_ATTEMPTS = 2;
const Plain = defineTask('dispatch-plain', { encoding: 'text', schema: z.string() });
const Intercepted = defineTask('dispatch-intercepted', { encoding: 'text', schema: z.string() });
const Failing = defineTask('dispatch-failing', { encoding: 'text', schema: z.string() });
const Permanent = defineTask('dispatch-permanent', { encoding: 'text', schema: z.string() });
const Streamed = defineTask('dispatch-observable', { encoding: 'text', schema: z.string() });
const Sync = defineTask('dispatch-sync', { encoding: 'text', schema: z.string() });
/** A Standard Schema that answers asynchronously: texts starting with "ok" pass. */
const asyncSchema: StandardSchemaV1<unknown, string> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: async (value) =>
      typeof value === 'string' && value.startsWith('ok') ? { value } : { issues: [{ message: 'must start with ok' }] },
  },
};
const AsyncChecked = defineTask('dispatch-async-schema', { encoding: 'text', schema: asyncSchema });
/** A schema with a bug: it throws instead of returning issues. */
const brokenSchema: StandardSchemaV1<unknown, string> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: () => {
      throw new Error('schema bug');
    },
  },
};
const BrokenSchema = defineTask('dispatch-broken-schema', { encoding: 'text', schema: brokenSchema });

/** Which tasks each interceptor saw, by task name. */
const seen = { global: [] as string[], method: [] as string[] };

function recordingInterceptor(into: string[]) {
  @Injectable()
  class Recording implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler) {
      into.push(context.switchToRpc().getContext<RmqContext>().getPattern());
      return next.handle();
    }
  }
  return Recording;
}
const GlobalInterceptor = recordingInterceptor(seen.global);
const MethodInterceptor = recordingInterceptor(seen.method);

/** Resolves when a handler has run for a text. */
class Runs {
  private readonly waiters = new Map<string, (value: unknown) => void>();
  private readonly done = new Map<string, unknown>();

  record(text: string, value: unknown): void {
    this.done.set(text, value);
    this.waiters.get(text)?.(value);
  }

  has(text: string): boolean {
    return this.done.has(text);
  }

  waitFor(text: string): Promise<unknown> {
    if (this.done.has(text)) return Promise.resolve(this.done.get(text));
    return new Promise((resolve) => this.waiters.set(text, resolve));
  }
}
const runs = new Runs();
/** Runs of the failing handler, by text. */
const failures = new Map<string, number>();
/** Completes the observable of a streamed task, by text. */
const release = new Map<string, () => void>();

@Controller()
class DispatchHandlers {
  @TaskHandler(Plain)
  async plain(@Payload() text: string, @Ctx() context: RmqContext): Promise<void> {
    const message = context.getMessage() as ConsumeMessage;
    runs.record(text, { messageId: message.properties.messageId, pattern: context.getPattern(), self: this instanceof DispatchHandlers });
  }

  @TaskHandler(Intercepted)
  @UseInterceptors(MethodInterceptor)
  async intercepted(@Payload() text: string): Promise<void> {
    runs.record(text, 'intercepted');
  }

  @TaskHandler(Failing)
  failing(@Payload() text: string): void {
    failures.set(text, (failures.get(text) ?? 0) + 1);
    throw new Error(`cannot do ${text}`);
  }

  @TaskHandler(Permanent)
  async permanent(@Payload() text: string): Promise<void> {
    throw new PermanentTaskError(`${text} can never work`);
  }

  @TaskHandler(Sync)
  sync(@Payload() text: string): number {
    runs.record(text, 'sync');
    return 42;
  }

  @TaskHandler(AsyncChecked)
  async asyncChecked(@Payload() text: string): Promise<void> {
    runs.record(text, 'checked');
  }

  @TaskHandler(BrokenSchema)
  async brokenSchema(@Payload() text: string): Promise<void> {
    runs.record(text, 'ran');
  }

  @TaskHandler(Streamed)
  streamed(@Payload() text: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      runs.record(`${text} started`, true);
      release.set(text, () => {
        subscriber.next();
        subscriber.complete();
      });
    });
  }
}

/** A worker whose deserializer fails on every body, as a buggy custom one might. */
class UnreadableBodiesWorker extends TaskWorkerServer {
  constructor(...args: ConstructorParameters<typeof TaskWorkerServer>) {
    super(...args);
    this.deserializer = {
      deserialize: () => {
        throw new Error('cannot read this');
      },
    };
  }
}

interface WorkerSetup {
  /** Direct dispatch on (the default here) or off. */
  direct?: boolean;
  Worker?: typeof TaskWorkerServer;
  hooks?: TaskWorkerHooks;
  /** Nest's log levels while the worker runs; false silences it. */
  logLevels?: LogLevel[] | false;
}

/**
 * A worker on a queue of its own for the enclosing describe block: started
 * before its tests, closed and its queues deleted after them.
 */
function workerFor(prefix: string, { direct = true, Worker = TaskWorkerServer, hooks, logLevels = ['error'] }: WorkerSetup = {}) {
  const queue = uniqueQueue(prefix);
  let app: INestMicroservice | undefined;
  let worker: TaskWorkerServer | undefined;
  beforeAll(async () => {
    Logger.overrideLogger(logLevels);
    const testing = await Test.createTestingModule({ controllers: [DispatchHandlers] }).compile();
    worker = new Worker(
      { urls: [brokerUrl()], queue, maxAttempts: MAX_ATTEMPTS, retryDelayMs: 10 },
      { directDispatch: direct ? testing.get(ModuleRef) : undefined, hooks },
    );
    app = testing.createNestMicroservice({ strategy: worker });
    app.useGlobalInterceptors(new GlobalInterceptor());
    await app.listen();
    await worker.whenConsuming();
  });
  afterAll(async () => {
    await app?.close();
    Logger.overrideLogger(['error']);
    await deleteQueues(queueFamily(queue, MAX_ATTEMPTS));
  });
  return { queue, worker: () => worker! };
}

/** The dead letter of a text, once it is there. */
async function deadLetterOf(queue: string, text: string) {
  return pollUntil(
    async () => (await peekMessages(`${queue}.dlq`)).find((message) => message.content.toString() === text),
    `'${text}' in ${queue}.dlq`,
  );
}

const publish = (queue: string, task: { name: string }, text: string, messageId = text) =>
  publishRaw(queue, text, { type: task.name, contentType: 'text/plain', messageId, persistent: true });

describe('TaskWorkerServer with direct dispatch', () => {
  const { queue, worker } = workerFor('direct-dispatch');

  beforeEach(() => {
    seen.global.length = 0;
    seen.method.length = 0;
  });

  it('calls a plain handler directly, with the payload and the RmqContext, and acks it', async () => {
    await publish(queue, Plain, 'direct one', 'id-direct-1');
    expect(await runs.waitFor('direct one')).toEqual({ messageId: 'id-direct-1', pattern: Plain.name, self: true });
    await waitForReady(queue, 0);
    expect((await queueDepths([queue]))[queue]).toEqual({ ready: 0, unacked: 0 });
    // Called directly: the global interceptor is not part of the call, as TaskWorkerOptions documents.
    expect(seen.global).toEqual([]);
  });

  it('keeps Nest’s pipeline for a handler with its own interceptor', async () => {
    await publish(queue, Intercepted, 'through nest');
    expect(await runs.waitFor('through nest')).toBe('intercepted');
    expect(seen.method).toEqual([Intercepted.name]);
    expect(seen.global).toEqual([Intercepted.name]);
  });

  it('acks a handler that returns an observable only once it completes', async () => {
    await publish(queue, Streamed, 'a stream');
    await runs.waitFor('a stream started');
    expect((await queueDepths([queue]))[queue]).toEqual({ ready: 0, unacked: 1 });
    release.get('a stream')!();
    await pollUntil(async () => (await queueDepths([queue]))[queue].unacked === 0, 'the ack of the streamed task');
    expect(seen.global).toEqual([]);
  });

  it('acks a synchronous handler that returns a value, and counts it as finished', async () => {
    await publish(queue, Sync, 'at once');
    expect(await runs.waitFor('at once')).toBe('sync');
    await pollUntil(async () => (await queueDepths([queue]))[queue].unacked === 0, 'the ack of the synchronous task');
    expect(worker().activeTasks).toBe(0);
    expect(seen.global).toEqual([]);
  });

  it('waits for an asynchronous schema, and dead-letters what it refuses', async () => {
    await publish(queue, AsyncChecked, 'ok, go');
    expect(await runs.waitFor('ok, go')).toBe('checked');
    await publish(queue, AsyncChecked, 'refused');
    const letter = await deadLetterOf(queue, 'refused');
    expect(letter.properties.headers).toMatchObject({
      [TaskHeaders.deadLetterReason]: 'invalid-payload',
      [TaskHeaders.lastError]: "payload of task 'dispatch-async-schema' is invalid: must start with ok",
    });
  });

  it('dead-letters a task whose schema throws, without running it', async () => {
    await publish(queue, BrokenSchema, 'unchecked');
    const letter = await deadLetterOf(queue, 'unchecked');
    expect(letter.properties.headers).toMatchObject({
      [TaskHeaders.deadLetterReason]: 'invalid-payload',
      [TaskHeaders.lastError]: "the schema of task 'dispatch-broken-schema' failed: schema bug",
    });
    expect(runs.has('unchecked')).toBe(false);
    await pollUntil(async () => (await queueDepths([queue]))[queue].unacked === 0, 'the ack of the original');
  });

  it('retries a handler that throws, then dead-letters it with the error', async () => {
    await publish(queue, Failing, 'a bad job');
    const letter = await deadLetterOf(queue, 'a bad job');
    expect(failures.get('a bad job')).toBe(MAX_ATTEMPTS);
    expect(seen.global).toEqual([]);
    expect(letter.properties.headers).toMatchObject({
      [TaskHeaders.attempts]: MAX_ATTEMPTS,
      [TaskHeaders.lastError]: 'cannot do a bad job',
      [TaskHeaders.deadLetterReason]: 'attempts-exhausted',
    });
  });

  it('dead-letters a PermanentTaskError at once', async () => {
    await publish(queue, Permanent, 'never');
    const letter = await deadLetterOf(queue, 'never');
    expect(seen.global).toEqual([]);
    expect(letter.properties.headers).toMatchObject({
      [TaskHeaders.attempts]: 1,
      [TaskHeaders.lastError]: 'never can never work',
      [TaskHeaders.deadLetterReason]: 'permanent-error',
    });
  });
});

describe('TaskWorkerServer without direct dispatch (the default)', () => {
  const { queue } = workerFor('nest-dispatch', { direct: false });

  it('runs every handler through Nest’s pipeline, global interceptors included', async () => {
    seen.global.length = 0;
    await publish(queue, Plain, 'via nest', 'id-nest-1');
    expect(await runs.waitFor('via nest')).toEqual({ messageId: 'id-nest-1', pattern: Plain.name, self: true });
    expect(seen.global).toEqual([Plain.name]);
  });
});

describe('TaskWorkerServer with a deserializer that throws', () => {
  const { queue } = workerFor('unreadable', { Worker: UnreadableBodiesWorker });

  it('dead-letters the body as unreadable instead of leaving it unacked', async () => {
    await publish(queue, Plain, 'garbled');
    const letter = await deadLetterOf(queue, 'garbled');
    expect(letter.properties.headers).toMatchObject({
      [TaskHeaders.deadLetterReason]: 'unreadable',
      [TaskHeaders.lastError]: 'the deserializer failed: cannot read this',
    });
    await pollUntil(async () => (await queueDepths([queue]))[queue].unacked === 0, 'the ack of the original');
  });
});

describe('TaskWorkerServer with hooks that throw', () => {
  const fail = () => {
    throw new Error('hook bug');
  };
  const { queue, worker } = workerFor('hooks-throw', { hooks: { onReceived: fail, onSettled: fail }, logLevels: false });

  it('still runs and acks the task, and counts it as finished', async () => {
    await publish(queue, Plain, 'despite the hooks');
    expect(await runs.waitFor('despite the hooks')).toMatchObject({ pattern: Plain.name });
    await pollUntil(async () => (await queueDepths([queue]))[queue].unacked === 0, 'the ack');
    expect(worker().activeTasks).toBe(0);
    expect(await worker().drain(1000)).toBe(0);
  });
});
