import { envInt, tasksEnvSchema } from '@app/tasks';
import type { z } from 'zod';

/** The worker's environment: the shared task settings, the tutorial's pace, and its HTTP port. */
export const workerEnvSchema = tasksEnvSchema.extend({
  /** Milliseconds of work per `.` in a tutorial task. */
  MS_PER_DOT: envInt(1000, 0),
  /** Port of GET /health and GET /metrics; 0 picks a free one. */
  WORKER_PORT: envInt(3001, 0, 65535),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
