import { z } from 'zod';

/** Largest task text the HTTP API takes, in UTF-8 bytes. */
export const MAX_TASK_TEXT_BYTES = 64 * 1024;

export const createTaskSchema = z.strictObject({
  text: z
    .string({ message: 'text must be a string' })
    .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_TASK_TEXT_BYTES, {
      message: `text must be at most ${MAX_TASK_TEXT_BYTES} bytes (64 KiB) of UTF-8`,
    }),
});

export type CreateTaskDto = z.infer<typeof createTaskSchema>;
