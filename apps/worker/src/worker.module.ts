import { parseEnv } from '@app/tasks';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { workerEnvSchema } from './config/worker-env.js';
import { TutorialModule } from './tutorial/tutorial.module.js';

/** The worker: task handlers, fed by the TaskWorkerServer strategy that main.ts starts. */
@Module({})
export class WorkerModule {
  /** Built at boot rather than at import, so the environment is checked first. */
  static forRoot(): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: (env) => parseEnv(workerEnvSchema, env) }),
        TutorialModule,
      ],
    };
  }
}
