/**
 * Our worker, for the bench: apps/worker/src/main.ts and WorkerModule as they
 * are (the same env schema, the real TutorialModule and its handler,
 * TasksObservabilityModule with its metrics hooks on the hot path, the stderr
 * logger, /health and /metrics on WORKER_PORT, TaskWorkerServer as the
 * microservice strategy), with three additions:
 * - a probe, given to `WorkerModule.forRoot` as extra worker hooks (first delivery, last ack);
 * - two bench handlers: `bench-latency` (records enqueue-to-start latency) and
 *   `bench-sleep` (awaits a 10 ms timer), both printing the tutorial's two lines;
 * - the consumer starts when the runner says `go`, so Nest's boot is never timed.
 *
 * The real app's files are loaded from the nest build (dist/apps/worker) at run
 * time: `tsc -p bench` must not re-emit them, since plain tsc would leave their
 * `@app/tasks` imports unrewritten.
 */
import { Controller, type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Ctx, Payload, RmqContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import {
  createAppLogger,
  loadEnvOrExit,
  pythonRepr,
  TaskHandler,
  type TaskWorkerHooks,
  TaskWorkerServer,
} from '../../libs/tasks/src/index.js';
import { BenchLatencyTask, BenchSleepTask } from './bench-tasks.js';
import { BenchProbe, reportFailure, reportReady, serveRunner } from './probe.js';
import { SLEEP_MS } from './task-names.js';

const probe = new BenchProbe();
/** The worker's own line writer (apps/worker/src/tutorial/console-lines.ts), loaded from the build in main(). */
let print: (line: string) => void = () => {
  throw new Error('print used before the worker app was loaded');
};

/** The bench's own tasks, handled the way the tutorial handler does its work. */
@Controller()
class BenchTaskHandlers {
  @TaskHandler(BenchLatencyTask)
  async latency(@Payload() text: string, @Ctx() context: RmqContext): Promise<void> {
    probe.handlerStarted((context.getMessage() as ConsumeMessage).properties.headers);
    print(` [x] Received ${pythonRepr(text)}`);
    print(' [x] Done');
  }

  @TaskHandler(BenchSleepTask)
  async sleep(@Payload() text: string): Promise<void> {
    print(` [x] Received ${pythonRepr(text)}`);
    await sleep(SLEEP_MS);
    print(' [x] Done');
  }
}

/** The probe, as hooks the worker runs after its metrics' own on every delivery. */
const probeHooks: TaskWorkerHooks = {
  onReceived: () => probe.delivered(),
  onSettled: (_message, outcome) => probe.settled(outcome === 'done'),
};

interface RealWorkerParts {
  WorkerModule: { forRoot(options: { extraHooks?: TaskWorkerHooks[] }): DynamicModule };
  printLine: (line: string) => void;
  workerEnvSchema: z.ZodType<{ LOG_FORMAT: 'text' | 'json'; WORKER_PORT: number }>;
}

async function loadRealWorkerParts(): Promise<RealWorkerParts> {
  const built = (path: string) => new URL(`../../apps/worker/src/${path}`, import.meta.url).href;
  const [{ WorkerModule }, { workerEnvSchema }, { printLine }] = await Promise.all([
    import(built('worker.module.js')),
    import(built('config/worker-env.js')),
    import(built('tutorial/console-lines.js')),
  ]);
  if (!WorkerModule || !workerEnvSchema || !printLine) throw new Error('dist/apps/worker is missing: run `npm run build` first');
  return { WorkerModule, workerEnvSchema, printLine };
}

/** The real WorkerModule with the probe's hooks, plus the bench handlers. */
@Module({})
class BenchWorkerModule {
  static forRoot({ WorkerModule }: RealWorkerParts): DynamicModule {
    return {
      module: BenchWorkerModule,
      imports: [WorkerModule.forRoot({ extraHooks: [probeHooks] })],
      controllers: [BenchTaskHandlers],
    };
  }
}

async function main(): Promise<void> {
  const parts = await loadRealWorkerParts();
  print = parts.printLine;
  const env = loadEnvOrExit(parts.workerEnvSchema, 'bench-worker');
  const app = await NestFactory.create<NestFastifyApplication>(BenchWorkerModule.forRoot(parts), new FastifyAdapter(), {
    logger: createAppLogger('worker', env.LOG_FORMAT),
  });
  const worker = app.get(TaskWorkerServer);
  app.connectMicroservice({ strategy: worker }, { inheritAppConfig: true });
  await app.listen(env.WORKER_PORT);
  serveRunner(probe, {
    go: async () => {
      await app.startAllMicroservices();
      await worker.whenConsuming();
    },
    exit: async () => {
      await worker.drain();
      await app.close();
    },
  });
  reportReady();
}

main().catch(reportFailure);
