import { parseEnv, TasksModule, TasksObservabilityModule, tasksOptionsFromConfig } from '@app/tasks';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { producerEnvSchema } from './config/producer-env.js';
import { TasksHttpModule } from './tasks/tasks-http.module.js';

/** The producer's HTTP API: it publishes tasks through the shared TasksModule; /health and /metrics. */
@Module({})
export class ProducerModule {
  /** Built at boot rather than at import, so the environment is checked first. */
  static forRoot(): DynamicModule {
    return {
      module: ProducerModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: (env) => parseEnv(producerEnvSchema, env) }),
        TasksModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) => tasksOptionsFromConfig(config),
        }),
        TasksObservabilityModule,
        TasksHttpModule,
      ],
    };
  }
}
