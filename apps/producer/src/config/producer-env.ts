import { envInt, tasksEnvSchema } from '@app/tasks';
import type { z } from 'zod';

/** The producer's environment: the shared task settings plus its HTTP port. */
export const producerEnvSchema = tasksEnvSchema.extend({
  PORT: envInt(3000, 1, 65535),
});

export type ProducerEnv = z.infer<typeof producerEnvSchema>;
