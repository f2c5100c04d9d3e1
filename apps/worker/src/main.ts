import { closeOnSignals, createAppLogger, exitWithError, loadEnvOrExit, TaskWorkerServer } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { workerEnvSchema } from './config/worker-env.js';
import { printLine } from './tutorial/console-lines.js';
import { WorkerModule } from './worker.module.js';

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit(workerEnvSchema, 'worker');
  try {
    // An HTTP app for /health and /metrics, with the task consumer as its microservice.
    const app = await NestFactory.create<NestFastifyApplication>(WorkerModule.forRoot(), new FastifyAdapter(), {
      logger: createAppLogger('worker', env.LOG_FORMAT),
      // Boot errors reach our one-line handler instead of Nest's stack-printing exit.
      abortOnError: false,
    });
    const worker = app.get(TaskWorkerServer);
    app.connectMicroservice({ strategy: worker }, { inheritAppConfig: true });
    closeOnSignals({
      // Drain first: Nest's own close runs the destroy hooks while the consumer still takes tasks.
      close: async () => {
        await worker.drain();
        await app.close();
      },
    });
    await app.startAllMicroservices();
    // Probes answer from the start (503 until the consumer is registered), so don't wait for them here.
    const probes = listenForProbes(app, env.WORKER_PORT);
    // startAllMicroservices() resolves before the consumer is registered; say so only once it is,
    // and before the first task can be printed.
    await worker.whenConsuming();
    printLine(' [*] Waiting for messages. To exit press CTRL+C');
    await probes;
  } catch (error) {
    exitWithError('worker', error, env.AMQP_URL);
  }
}

/**
 * Serves /health and /metrics. A second worker on one host (the tutorial runs
 * two in two terminals) finds the port taken: it still works, without them.
 */
async function listenForProbes(app: NestFastifyApplication, port: number) {
  const logger = new Logger('Worker');
  try {
    await app.listen(port, '0.0.0.0');
    const address = app.getHttpServer().address() as { port: number };
    logger.log(`health and metrics on port ${address.port}: GET /health, GET /metrics`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    logger.warn(`port ${port} is in use: this worker runs without /health and /metrics (set WORKER_PORT to serve them)`);
  }
}

void bootstrap();
