import { type RmqOptions, Transport } from '@nestjs/microservices';
import { brokerSocketOptions } from '../publishing/broker-connection.js';
import { type ResolvedTasksOptions, resolveTasksOptions, type TasksModuleOptions } from '../tasks.options.js';
import { WORK_QUEUE_OPTIONS } from '../topology/task-topology.js';
import { TaskDeserializer } from './task-deserializer.js';

/**
 * The worker's Nest RMQ options, overriding the transport's defaults that
 * lose or stall tasks: manual acks (the default auto-ack loses a task whose
 * worker dies), a bounded prefetch (the default 0 is unlimited), a durable
 * queue, and a deserializer that reads plain AMQP bodies.
 */
export function createWorkerOptions(options: TasksModuleOptions | ResolvedTasksOptions): RmqOptions {
  const resolved = resolveTasksOptions(options);
  return {
    transport: Transport.RMQ,
    options: {
      urls: resolved.urls,
      queue: resolved.queue,
      noAck: false,
      prefetchCount: resolved.prefetchCount,
      isGlobalPrefetchCount: false,
      queueOptions: { ...WORK_QUEUE_OPTIONS },
      deserializer: new TaskDeserializer(),
      socketOptions: {
        heartbeatIntervalInSeconds: resolved.heartbeatIntervalInSeconds,
        reconnectTimeInSeconds: resolved.reconnectTimeInSeconds,
        connectionOptions: brokerSocketOptions(resolved),
      },
    },
  };
}
