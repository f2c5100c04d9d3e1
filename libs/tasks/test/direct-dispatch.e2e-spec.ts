import { defineTask, PermanentTaskError, TaskHandler, TaskHeaders, TaskWorkerServer } from '@app/tasks';
import { type CallHandler, Controller, type ExecutionContext, Injectable, Logger, type NestInterceptor, UseInterceptors } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, type INestMicroservice, Payload, RmqContext } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
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

async function startWorker(queue: string, direct: boolean): Promise<INestMicroservice> {
  const testing = await Test.createTestingModule({ controllers: [DispatchHandlers] }).compile();
  const worker = new TaskWorkerServer(
    { urls: [brokerUrl()], queue, maxAttempts: MAX_ATTEMPTS, retryDelayMs: 10 },
    { directDispatch: direct ? testing.get(ModuleRef) : undefined },
  );
  const app = testing.createNestMicroservice({ strategy: worker });
  app.useGlobalInterceptors(new GlobalInterceptor());
  await app.listen();
  await worker.whenConsuming();
  return app;
}

const publish = (queue: string, task: { name: string }, text: string, messageId = text) =>
  publishRaw(queue, text, { type: task.name, contentType: 'text/plain', messageId, persistent: true });

describe('TaskWorkerServer with direct dispatch', () => {
  const queue = uniqueQueue('direct-dispatch');
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    app = await startWorker(queue, true);
  });

  afterAll(async () => {
    await app?.close();
    await deleteQueues(queueFamily(queue, MAX_ATTEMPTS));
  });

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
  });

  it('retries a handler that throws, then dead-letters it with the error', async () => {
    await publish(queue, Failing, 'a bad job');
    await waitForReady(`${queue}.dlq`, 1);
    expect(failures.get('a bad job')).toBe(MAX_ATTEMPTS);
    const letters = await peekMessages(`${queue}.dlq`);
    const letter = letters.find((message) => message.content.toString() === 'a bad job');
    expect(letter?.properties.headers).toMatchObject({
      [TaskHeaders.attempts]: MAX_ATTEMPTS,
      [TaskHeaders.lastError]: 'cannot do a bad job',
      [TaskHeaders.deadLetterReason]: 'attempts-exhausted',
    });
  });

  it('dead-letters a PermanentTaskError at once', async () => {
    await publish(queue, Permanent, 'never');
    await waitForReady(`${queue}.dlq`, 2);
    const letter = (await peekMessages(`${queue}.dlq`)).find((message) => message.content.toString() === 'never');
    expect(letter?.properties.headers).toMatchObject({
      [TaskHeaders.attempts]: 1,
      [TaskHeaders.lastError]: 'never can never work',
      [TaskHeaders.deadLetterReason]: 'permanent-error',
    });
  });
});

describe('TaskWorkerServer without direct dispatch (the default)', () => {
  const queue = uniqueQueue('nest-dispatch');
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    app = await startWorker(queue, false);
  });

  afterAll(async () => {
    await app?.close();
    await deleteQueues(queueFamily(queue, MAX_ATTEMPTS));
  });

  it('runs every handler through Nest’s pipeline, global interceptors included', async () => {
    seen.global.length = 0;
    await publish(queue, Plain, 'via nest', 'id-nest-1');
    expect(await runs.waitFor('via nest')).toEqual({ messageId: 'id-nest-1', pattern: Plain.name, self: true });
    expect(seen.global).toEqual([Plain.name]);
  });
});
