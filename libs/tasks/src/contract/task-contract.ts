import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * A task both sides agree on: its name (the AMQP `type` property and the
 * handler's pattern), how its payload travels, and how a worker checks it.
 */
export interface TaskContract<TName extends string = string, TPayload = unknown> {
  readonly name: TName;
  /** `text`: the body is the payload as UTF-8 (`text/plain`); `json`: the body is JSON (`application/json`). */
  readonly encoding: 'text' | 'json';
  /** Any Standard Schema validator (zod, valibot, arktype...). A payload that fails it is dead-lettered. */
  readonly schema: StandardSchemaV1<unknown, TPayload>;
}

/** The payload type a contract carries. */
export type TaskPayload<C> = C extends TaskContract<string, infer P> ? P : never;

export function defineTask<TName extends string, TPayload>(
  name: TName,
  definition: { encoding: 'text' | 'json'; schema: StandardSchemaV1<unknown, TPayload> },
): TaskContract<TName, TPayload> {
  return Object.freeze({ name, ...definition });
}

export const TEXT_CONTENT_TYPE = 'text/plain';
export const JSON_CONTENT_TYPE = 'application/json';

export function contentTypeOf(contract: TaskContract): string {
  return contract.encoding === 'text' ? TEXT_CONTENT_TYPE : JSON_CONTENT_TYPE;
}
