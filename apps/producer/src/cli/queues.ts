import {
  exitWithError,
  fetchQueueStats,
  loadEnvOrExit,
  managementUrlFor,
  type QueueStats,
  taskTopology,
} from '@app/tasks';
import { z } from 'zod';
import { producerEnvSchema } from '../config/producer-env.js';

/**
 * The tutorial's `rabbitmqctl list_queues name messages_ready messages_unacknowledged`,
 * for the task queue, its retry queues and its dead-letter queue.
 * `--watch` refreshes every second.
 */
const envSchema = producerEnvSchema.extend({
  MANAGEMENT_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s):// URL' }).optional(),
});

async function main(): Promise<void> {
  const env = loadEnvOrExit(envSchema, 'queues');
  const watch = process.argv.includes('--watch');
  const brokerUrl = env.AMQP_URL[0];
  const managementUrl = env.MANAGEMENT_URL ?? managementUrlFor(brokerUrl);
  const topology = taskTopology(env.TASK_QUEUE, env.TASK_MAX_ATTEMPTS);
  const names = [topology.workQueue, ...topology.retryQueues, topology.deadLetterQueue];
  do {
    const report = await fetchQueueStats(brokerUrl, names, managementUrl);
    const lines = render(report.queues, report.source === 'management' && watch);
    if (report.note) lines.push(`(${report.note}: showing what AMQP can tell)`);
    if (watch) {
      process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}  every 1 s, CTRL+C to stop\n`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (watch) await new Promise((resolve) => setTimeout(resolve, 1000));
  } while (watch);
}

function render(queues: QueueStats[], withRates: boolean): string[] {
  const header = ['name', 'messages_ready', 'messages_unacknowledged', 'consumers'];
  if (withRates) header.push('publish/s', 'deliver/s', 'ack/s');
  const rows = queues.map((queue) => {
    if (!queue.exists) return [queue.name, '-', '-', '-', ...(withRates ? ['-', '-', '-'] : []), '(not declared)'];
    const row = [queue.name, String(queue.ready), queue.unacked === undefined ? '?' : String(queue.unacked), String(queue.consumers)];
    if (withRates) row.push(...[queue.rates?.publish, queue.rates?.deliver, queue.rates?.ack].map((rate) => (rate ?? 0).toFixed(1)));
    return row;
  });
  return [header, ...rows].map((row) => row.join('\t'));
}

main().catch((error) => exitWithError('queues', error));
