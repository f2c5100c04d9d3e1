import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/** Validates a request body against a zod schema; a bad one is a 400 naming the field. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const field = issue.path.join('.');
    const message = issue.code === 'invalid_type' && field === '' ? 'body must be a JSON object' : issue.message;
    throw new BadRequestException(field && !message.startsWith(field) ? `${field}: ${message}` : message);
  }
}
