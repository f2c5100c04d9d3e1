import { z } from 'zod';
import { defineTask, TutorialTask } from '../../libs/tasks/src/index.js';
import { TaskNames } from './task-names.js';

/** Contracts of the bench-only tasks: text bodies, like the tutorial's. */
export const BenchLatencyTask = defineTask(TaskNames.latency, { encoding: 'text', schema: z.string() });
export const BenchSleepTask = defineTask(TaskNames.sleep, { encoding: 'text', schema: z.string() });

export const BENCH_CONTRACTS = {
  [TaskNames.tutorial]: TutorialTask,
  [TaskNames.latency]: BenchLatencyTask,
  [TaskNames.sleep]: BenchSleepTask,
} as const;

if (TutorialTask.name !== TaskNames.tutorial) {
  throw new Error(`the tutorial task is now '${TutorialTask.name}'; update bench/workers/task-names.ts`);
}
