import { closeOnSignals, createAppLogger, exitWithError, loadEnvOrExit } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { producerEnvSchema } from './config/producer-env.js';
import { closeHttpServer } from './http-drain.js';
import { ProducerModule } from './producer.module.js';

async function bootstrap(): Promise<void> {
  const env = loadEnvOrExit(producerEnvSchema, 'producer');
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      ProducerModule.forRoot(),
      // Room for a 64 KiB text however it is escaped; larger bodies get 413.
      new FastifyAdapter({ bodyLimit: 512 * 1024 }),
      {
        logger: createAppLogger('producer', env.LOG_FORMAT),
        // Boot errors reach our one-line handler instead of Nest's stack-printing exit.
        abortOnError: false,
      },
    );
    // Answer the requests in flight before the publisher closes.
    closeOnSignals({
      close: async () => {
        await closeHttpServer(app.getHttpServer());
        await app.close();
      },
    });
    await app.listen(env.PORT, '0.0.0.0');
    new Logger('Producer').log(`HTTP API on port ${env.PORT}: POST /tasks {"text": "..."}`);
  } catch (error) {
    exitWithError('producer', error, env.AMQP_URL);
  }
}

void bootstrap();
