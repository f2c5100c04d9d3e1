import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { ResolvedTasksOptions } from '../tasks.options.js';

/** Opens a self-healing connection to the first broker URL that answers. */
export function connectToBroker(options: ResolvedTasksOptions): AmqpConnectionManager {
  return amqp.connect(options.urls, {
    heartbeatIntervalInSeconds: options.heartbeatIntervalInSeconds,
    reconnectTimeInSeconds: options.reconnectTimeInSeconds,
    connectionOptions: brokerSocketOptions(options),
  });
}

/** Socket options amqplib takes: TLS material for `amqps://`. */
export function brokerSocketOptions(options: ResolvedTasksOptions): Record<string, unknown> | undefined {
  if (!options.tls) return undefined;
  const { ca, cert, key, passphrase } = options.tls;
  return { ca, cert, key, passphrase };
}

export type BrokerConnector = (options: ResolvedTasksOptions) => AmqpConnectionManager;
