import { parseEnv, TaskMetrics, TasksObservabilityModule, tasksOptionsFromConfig, TaskWorkerServer } from '@app/tasks';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { workerEnvSchema } from './config/worker-env.js';
import { TutorialModule } from './tutorial/tutorial.module.js';

/**
 * The worker: task handlers (TutorialModule), the TaskWorkerServer strategy
 * that feeds them and owns every ack, and /health and /metrics.
 */
@Module({})
export class WorkerModule {
  /** Built at boot rather than at import, so the environment is checked first. */
  static forRoot(): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: (env) => parseEnv(workerEnvSchema, env) }),
        TasksObservabilityModule,
        TutorialModule,
      ],
      providers: [
        {
          provide: TaskWorkerServer,
          inject: [ConfigService, TaskMetrics],
          useFactory: (config: ConfigService, metrics: TaskMetrics) =>
            new TaskWorkerServer(tasksOptionsFromConfig(config), metrics.workerHooks()),
        },
      ],
    };
  }
}
