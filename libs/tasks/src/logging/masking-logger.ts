import { Logger } from '@nestjs/common';
import { maskedLine } from '../config/broker-url.js';

/**
 * A Nest logger that prints errors as one line, without stack traces, and with
 * any broker password masked. Used by the transport, whose connection errors
 * would otherwise print amqplib's stacks on every reconnect attempt.
 */
export class MaskingLogger extends Logger {
  constructor(
    context: string,
    private readonly urls: readonly string[] = [],
  ) {
    super(context);
  }

  override error(message: unknown): void {
    super.error(this.clean(message));
  }

  override warn(message: unknown): void {
    super.warn(this.clean(message));
  }

  override log(message: unknown): void {
    super.log(this.clean(message));
  }

  private clean(message: unknown): string {
    // amqp-connection-manager's events carry the error as `{ err }`.
    const unwrapped = typeof message === 'object' && message !== null && 'err' in message ? message.err : message;
    const text =
      unwrapped instanceof Error
        ? unwrapped.message || unwrapped.name
        : typeof unwrapped === 'object' && unwrapped !== null && 'message' in unwrapped
          ? String(unwrapped.message)
          : typeof unwrapped === 'object' && unwrapped !== null
            ? JSON.stringify(unwrapped)
            : String(unwrapped);
    return maskedLine(text, this.urls);
  }
}
