import { accessSync, constants, readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_BROKER_URL,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PREFETCH_COUNT,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_TASK_QUEUE,
} from '../tasks.constants.js';
import type { TasksModuleOptions } from '../tasks.options.js';
import { parseBrokerUrls } from './broker-url.js';

/** An integer environment variable, with a default and bounds. */
export const envInt = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number ${range}` })
    .default(String(fallback))
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be a whole number ${range}` })
        .max(max, { message: `must be a whole number ${range}` }),
    );
};

/** A path to a file this process can read, checked at start rather than at first connect. */
const readableFile = () =>
  z.string().superRefine((path, ctx) => {
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})` });
    }
  });

/** The environment both apps share: where the broker is and how tasks flow. */
export const tasksEnvSchema = z.object({
  AMQP_URL: z
    .string()
    .default(DEFAULT_BROKER_URL)
    .transform((value, ctx) => {
      try {
        return parseBrokerUrls(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  TASK_QUEUE: z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(200, { message: 'must be at most 200 characters' })
    .default(DEFAULT_TASK_QUEUE),
  PREFETCH_COUNT: envInt(DEFAULT_PREFETCH_COUNT, 1),
  TASK_MAX_ATTEMPTS: envInt(DEFAULT_MAX_ATTEMPTS, 1),
  TASK_RETRY_DELAY_MS: envInt(DEFAULT_RETRY_DELAY_MS, 0),
  TASK_MAX_BYTES: envInt(DEFAULT_MAX_MESSAGE_BYTES, 1),
  PUBLISH_TIMEOUT_MS: envInt(DEFAULT_PUBLISH_TIMEOUT_MS, 1),
  SHUTDOWN_TIMEOUT_MS: envInt(DEFAULT_SHUTDOWN_TIMEOUT_MS, 0),
  LOG_FORMAT: z.enum(['text', 'json'], { message: "must be 'text' or 'json'" }).default('text'),
  AMQP_CA_FILE: readableFile().optional(),
  AMQP_CERT_FILE: readableFile().optional(),
  AMQP_KEY_FILE: readableFile().optional(),
  AMQP_KEY_PASSPHRASE: z.string().optional(),
});

export type TasksEnv = z.infer<typeof tasksEnvSchema>;

/**
 * Validates the environment against a schema and names the first bad variable.
 * Throws `EnvError`, whose message is one line fit for a terminal.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  const name = issue.path.join('.') || 'environment';
  const value = env[name];
  const shown = typeof value === 'string' && !name.includes('PASS') && name !== 'AMQP_URL' ? ` (got '${value}')` : '';
  throw new EnvError(`invalid environment: ${name} ${issue.message}${shown}`);
}

export class EnvError extends Error {
  override name = 'EnvError';
}

/** Maps the shared environment onto the library's options, reading TLS files once. */
export function tasksOptionsFromEnv(env: TasksEnv): TasksModuleOptions {
  return {
    urls: env.AMQP_URL,
    queue: env.TASK_QUEUE,
    prefetchCount: env.PREFETCH_COUNT,
    maxAttempts: env.TASK_MAX_ATTEMPTS,
    retryDelayMs: env.TASK_RETRY_DELAY_MS,
    maxMessageBytes: env.TASK_MAX_BYTES,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    tls: readTls(env),
  };
}

function readTls(env: TasksEnv): TasksModuleOptions['tls'] {
  if (!env.AMQP_CA_FILE && !env.AMQP_CERT_FILE && !env.AMQP_KEY_FILE) {
    return undefined;
  }
  const read = (variable: string, path?: string) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new EnvError(`invalid environment: ${variable} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})`);
    }
  };
  const ca = read('AMQP_CA_FILE', env.AMQP_CA_FILE);
  return {
    ca: ca ? [ca] : undefined,
    cert: read('AMQP_CERT_FILE', env.AMQP_CERT_FILE),
    key: read('AMQP_KEY_FILE', env.AMQP_KEY_FILE),
    passphrase: env.AMQP_KEY_PASSPHRASE,
  };
}

/**
 * Builds the library's options from a validated `ConfigService` (or anything
 * with a `get(key)`), for `TasksModule.forRootAsync({ inject: [ConfigService], useFactory })`.
 */
export function tasksOptionsFromConfig(config: { get(key: string): unknown }): TasksModuleOptions {
  // Values may come validated (arrays, numbers) or raw (strings, as `load` gives them): validate them all alike.
  const raw = Object.fromEntries(
    Object.keys(tasksEnvSchema.shape)
      .map((key) => [key, config.get(key)] as const)
      .filter(([, value]) => value !== undefined && value !== null)
      .map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value)]),
  );
  return tasksOptionsFromEnv(parseEnv(tasksEnvSchema, raw));
}
