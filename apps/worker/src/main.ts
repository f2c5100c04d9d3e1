import {
  closeOnSignals,
  exitWithError,
  loadEnvOrExit,
  StderrLogger,
  tasksOptionsFromEnv,
  TaskWorkerServer,
} from '@app/tasks';
import { NestFactory } from '@nestjs/core';
import { workerEnvSchema } from './config/worker-env.js';
import { WorkerModule } from './worker.module.js';

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit(workerEnvSchema, 'worker');
  const worker = new TaskWorkerServer(tasksOptionsFromEnv(env));
  try {
    const app = await NestFactory.createMicroservice(WorkerModule.forRoot(), {
      strategy: worker,
      logger: new StderrLogger(),
    });
    closeOnSignals(app);
    await app.listen();
    // listen() resolves before the consumer is registered; say so only once it is.
    await worker.whenConsuming();
    process.stdout.write(' [*] Waiting for messages. To exit press CTRL+C\n');
  } catch (error) {
    exitWithError('worker', error, env.AMQP_URL);
  }
}

void bootstrap();
