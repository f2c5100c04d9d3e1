import { config as loadDotEnv } from 'dotenv';
import type { z } from 'zod';
import { maskedLine } from './broker-url.js';
import { EnvError, parseEnv } from './tasks-env.js';

/**
 * For an app's `main.ts`: reads `.env` (without overriding the real
 * environment), validates it, and on a bad value prints one line naming the
 * variable and exits non-zero, before Nest boots and could print a stack trace.
 */
export function loadEnvOrExit<S extends z.ZodType>(schema: S, program: string): z.infer<S> {
  loadDotEnv({ quiet: true });
  try {
    return parseEnv(schema, process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${program}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** Ends a CLI or server on an unexpected error with one line and no stack trace. */
export function exitWithError(program: string, error: unknown, urls: readonly string[] = []): never {
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${program}: ${maskedLine(text, urls)}\n`);
  process.exit(1);
}
