import { applyDecorators, Catch, type RpcExceptionFilter, type Type, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import type { TaskContract } from '../contract/task-contract.js';

/** Where `@TaskHandler` leaves the contract for the worker server to validate payloads against. */
export const TASK_CONTRACT_EXTRA = 'taskContract';
/** Where `@TaskHandler` leaves the class and method it marks, for the worker server's direct dispatch. */
export const TASK_METHOD_EXTRA = 'taskMethod';

/** The class and method a `@TaskHandler` marks. */
export interface TaskMethodRef {
  readonly controller: Type<unknown>;
  readonly method: string | symbol;
}

/**
 * Hands a handler's error to the worker server unchanged. Nest's default RPC
 * filter would log it and replace it with a generic `{status, message}`,
 * losing its type (and with it `PermanentTaskError`).
 */
@Catch()
export class PassTaskErrorsToWorkerFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a method as the handler of a task. The worker server validates the
 * payload against the contract first, then runs the handler, and acks when it
 * returns; on a throw it retries with backoff or dead-letters. Handlers never
 * ack themselves.
 *
 * @example
 * ```ts
 * @TaskHandler(ResizeImageTask)
 * async resize(@Payload() job: ResizeImage) { ... }
 * ```
 */
export function TaskHandler(task: TaskContract): MethodDecorator {
  return (target, method, descriptor) => {
    const taskMethod: TaskMethodRef = { controller: target.constructor as Type<unknown>, method };
    applyDecorators(
      EventPattern(task.name, { [TASK_CONTRACT_EXTRA]: task, [TASK_METHOD_EXTRA]: taskMethod }) as MethodDecorator,
      UseFilters(PassTaskErrorsToWorkerFilter),
    )(target, method, descriptor);
  };
}
