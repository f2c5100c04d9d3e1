import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TasksModuleOptions } from './tasks.options.js';

export const {
  ConfigurableModuleClass: ConfigurableTasksModule,
  MODULE_OPTIONS_TOKEN: TASKS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TasksModuleOptions>()
  .setClassMethodName('forRoot')
  // Global by default: an app imports it once and injects TaskPublisher anywhere.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
