import {
  combineWorkerHooks,
  parseEnv,
  TaskMetrics,
  TasksObservabilityModule,
  tasksOptionsFromConfig,
  type TaskWorkerHooks,
  TaskWorkerServer,
} from '@app/tasks';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { workerEnvSchema } from './config/worker-env.js';
import { TutorialModule } from './tutorial/tutorial.module.js';

/**
 * The worker: task handlers (TutorialModule), the TaskWorkerServer strategy
 * that feeds them and owns every ack, and /health and /metrics. The app sets no
 * global guards, interceptors, pipes or filters, so the server calls the
 * handlers directly rather than through Nest's handler pipeline.
 */
@Module({})
export class WorkerModule {
  /**
   * Built at boot rather than at import, so the environment is checked first.
   * `extraHooks` run after the metrics' own on every delivery (the benchmark's
   * probe uses them).
   */
  static forRoot({ extraHooks = [] }: { extraHooks?: TaskWorkerHooks[] } = {}): DynamicModule {
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
          inject: [ConfigService, TaskMetrics, ModuleRef],
          useFactory: (config: ConfigService, metrics: TaskMetrics, moduleRef: ModuleRef) =>
            new TaskWorkerServer(tasksOptionsFromConfig(config), {
              hooks: combineWorkerHooks(metrics.workerHooks(), ...extraHooks),
              directDispatch: moduleRef,
            }),
        },
      ],
    };
  }
}
