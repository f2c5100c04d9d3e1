import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';
import type { MessageProperties } from 'amqplib';
import { TutorialTask } from '../contract/tutorial-task.js';
import { MalformedTaskError } from '../contract/task-errors.js';

/**
 * Reads plain AMQP messages as Nest events:
 * - `type` set: the pattern is the type, the body the payload (JSON when the
 *   content type says so, UTF-8 text otherwise);
 * - no `type`, body a Nest envelope `{"pattern", "data"}` (what `ClientRMQ.emit` sends): used as is;
 * - no `type`, anything else (the tutorial's pika `new_task.py`): the default task, body as text.
 *
 * Nest's default deserializer maps that last case to pattern `undefined`, and
 * the transport then drops the message. A body marked JSON that does not
 * parse throws `MalformedTaskError`, so the worker can dead-letter it.
 */
export class TaskDeserializer implements ConsumerDeserializer {
  constructor(private readonly defaultTaskName: string = TutorialTask.name) {}

  deserialize(value: unknown, properties: Partial<MessageProperties> = {}): IncomingEvent {
    const type: unknown = properties.type;
    const isJson = isJsonContentType(properties.contentType);
    if (typeof type === 'string' && type.length > 0) {
      return { pattern: type, data: isJson ? parseJson(value) : asText(value) };
    }
    if (isJson || looksLikeEnvelope(value)) {
      const parsed = isJson ? parseJson(value) : tryParseJson(value);
      if (isEnvelope(parsed)) {
        return { pattern: parsed.pattern, data: parsed.data };
      }
      if (isJson) {
        return { pattern: this.defaultTaskName, data: parsed };
      }
    }
    return { pattern: this.defaultTaskName, data: asText(value) };
  }
}

function isJsonContentType(contentType: unknown): boolean {
  return typeof contentType === 'string' && /^application\/([\w.-]+\+)?json\b/i.test(contentType);
}

function asText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  // The stock transport hands over bodies it already JSON-parsed.
  return JSON.stringify(value);
}

function parseJson(value: unknown): unknown {
  // The stock transport JSON-parses bodies before deserializing: only raw bytes need parsing here.
  if (!Buffer.isBuffer(value)) return value;
  try {
    return JSON.parse(asText(value));
  } catch (error) {
    throw new MalformedTaskError('invalid-json', `body is marked application/json but is not valid JSON: ${(error as Error).message}`);
  }
}

function tryParseJson(value: unknown): unknown {
  try {
    return parseJson(value);
  } catch {
    return undefined;
  }
}

/** Cheap check before paying for JSON.parse on every plain-text task. */
function looksLikeEnvelope(value: unknown): boolean {
  if (Buffer.isBuffer(value)) return value.length > 0 && value[0] === 0x7b; // '{'
  if (typeof value === 'string') return value.startsWith('{');
  return isEnvelope(value);
}

function isEnvelope(value: unknown): value is { pattern: unknown; data: unknown } {
  return typeof value === 'object' && value !== null && 'pattern' in value && value.pattern != null;
}
