import type { LoggerService } from '@nestjs/common';
import { JsonLogger } from './json-logger.js';
import { StderrLogger } from './stderr-logger.js';

export type LogFormat = 'text' | 'json';

/**
 * The logger an app of the task queue runs with: operational logs on stderr,
 * as JSON (pino) or readable text, so that stdout keeps only the program's
 * own lines (the tutorial's).
 */
export function createAppLogger(app: string, format: LogFormat): LoggerService {
  return format === 'json' ? new JsonLogger(app) : new StderrLogger();
}
