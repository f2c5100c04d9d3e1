import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import { contentTypeOf, type TaskContract } from '../contract/task-contract.js';

/** Options a caller may set on one task. */
export interface EnqueueOptions {
  /** The AMQP `message_id`; a fresh UUID by default. Reuse it to let handlers spot duplicates. */
  messageId?: string;
  /** Extra AMQP headers. */
  headers?: Record<string, unknown>;
  /** AMQP priority, for queues declared with `x-max-priority`. */
  priority?: number;
}

export interface TaskMessage {
  content: Buffer;
  properties: Options.Publish & { messageId: string };
}

/**
 * Turns a task into plain AMQP: the body is the payload itself, the task's
 * name is the `type` property. Any AMQP client can read or write it.
 */
export function encodeTask<P>(
  contract: TaskContract<string, P>,
  payload: P,
  options: EnqueueOptions = {},
): TaskMessage {
  const content =
    contract.encoding === 'text'
      ? Buffer.from(String(payload), 'utf8')
      : Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    content,
    properties: {
      persistent: true,
      contentType: contentTypeOf(contract),
      contentEncoding: 'utf-8',
      type: contract.name,
      messageId: options.messageId ?? randomUUID(),
      // AMQP timestamps are whole seconds since the epoch.
      timestamp: Math.floor(Date.now() / 1000),
      headers: options.headers,
      priority: options.priority,
    },
  };
}
