import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TasksModuleOptions } from './tasks.options.js';

export const {
  ConfigurableModuleClass: ConfigurableTasksModule,
  MODULE_OPTIONS_TOKEN: TASKS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASKS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASKS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TasksModuleOptions>().setClassMethodName('forRoot').build();
