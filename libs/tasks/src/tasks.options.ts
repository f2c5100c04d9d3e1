import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PREFETCH_COUNT,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_TASK_QUEUE,
} from './tasks.constants.js';

/** TLS material for `amqps://` URLs, passed to amqplib's socket. */
export interface BrokerTlsOptions {
  /** PEM CA bundle that signed the broker's certificate. */
  ca?: Buffer[];
  /** PEM client certificate, for brokers that verify peers. */
  cert?: Buffer;
  /** PEM private key of the client certificate. */
  key?: Buffer;
  /** Passphrase of the private key. */
  passphrase?: string;
}

/** What `TasksModule.forRoot()` takes. Only `urls` is required. */
export interface TasksModuleOptions {
  /** One or more broker URLs (`amqp://` or `amqps://`); later ones are failovers. */
  urls: string[];
  /** The durable work queue. Default `task_queue`. */
  queue?: string;
  /** Unacked deliveries a worker may hold; also how many tasks it runs at once. Default 1. */
  prefetchCount?: number;
  /** Attempts in all before a failing task is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Base of the exponential retry delay, in ms. Default 1000. */
  retryDelayMs?: number;
  /** Largest body a worker accepts, in bytes; larger ones are dead-lettered. Default 1 MiB. */
  maxMessageBytes?: number;
  /** How long `enqueue` waits for the broker's confirm, in ms. Default 10000. */
  publishTimeoutMs?: number;
  /** How long a stopping worker waits for the tasks in hand, in ms. Default 30000. */
  shutdownTimeoutMs?: number;
  /** AMQP heartbeat, in seconds: how fast a dead connection is noticed. Default 5. */
  heartbeatIntervalInSeconds?: number;
  /** Wait between reconnect attempts, in seconds. Default 1. */
  reconnectTimeInSeconds?: number;
  /** Certificates for `amqps://` URLs. */
  tls?: BrokerTlsOptions;
}

export type ResolvedTasksOptions = Required<Omit<TasksModuleOptions, 'tls'>> &
  Pick<TasksModuleOptions, 'tls'>;

/** Fills in the defaults, so the rest of the library reads one complete object. */
export function resolveTasksOptions(options: TasksModuleOptions): ResolvedTasksOptions {
  if (!options.urls?.length) {
    throw new Error('TasksModule: at least one broker URL is required');
  }
  return {
    urls: options.urls,
    queue: options.queue ?? DEFAULT_TASK_QUEUE,
    prefetchCount: options.prefetchCount ?? DEFAULT_PREFETCH_COUNT,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    publishTimeoutMs: options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    heartbeatIntervalInSeconds: options.heartbeatIntervalInSeconds ?? 5,
    reconnectTimeInSeconds: options.reconnectTimeInSeconds ?? 1,
    tls: options.tls,
  };
}
