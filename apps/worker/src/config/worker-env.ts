import { envInt, tasksEnvSchema } from '@app/tasks';
import type { z } from 'zod';

/** The worker's environment: the shared task settings plus the tutorial's pace. */
export const workerEnvSchema = tasksEnvSchema.extend({
  /** Milliseconds of work per `.` in a tutorial task. */
  MS_PER_DOT: envInt(1000, 0),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
