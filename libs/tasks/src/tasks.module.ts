import { Module } from '@nestjs/common';
import { TaskPublisher } from './publishing/task-publisher.service.js';
import { ConfigurableTasksModule } from './tasks.module-definition.js';

/**
 * Connects a Nest app to the task queue. Import it once, with `forRoot()` or
 * `forRootAsync()`, and inject `TaskPublisher` to enqueue tasks. Workers run
 * `TaskWorkerServer` as their microservice strategy.
 */
@Module({
  providers: [TaskPublisher],
  exports: [TaskPublisher],
})
export class TasksModule extends ConfigurableTasksModule {}
