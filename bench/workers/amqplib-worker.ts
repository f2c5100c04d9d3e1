/**
 * The ceiling: the tutorial's worker in plain amqplib, with the same
 * semantics as ours: durable queue, manual ack after the handler returns, the
 * same prefetch (per consumer), the same two stdout lines per task (Python
 * `%r` quoting), written the plain way: one `process.stdout.write` per line.
 * (Ours buffers its lines; docs/benchmarks.md says what that is worth.)
 *
 * Env: AMQP_URL, TASK_QUEUE, PREFETCH_COUNT, MS_PER_DOT (default 0).
 * Runs under the bench runner, which talks to it over IPC (see probe.ts).
 */
import amqplib, { type ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
// A dependency-free function: the same quoting as the real worker's lines.
import { pythonRepr } from '../../libs/tasks/src/contract/python-repr.js';
import { BenchProbe, reportFailure, reportReady, serveRunner } from './probe.js';
import { SLEEP_MS, TaskNames } from './task-names.js';

const url = (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').split(',')[0].trim();
const queue = process.env.TASK_QUEUE ?? 'task_queue';
const prefetch = Number(process.env.PREFETCH_COUNT ?? '1');
const msPerDot = Number(process.env.MS_PER_DOT ?? '0');

const print = (line: string) => process.stdout.write(`${line}\n`);

function countDots(text: string): number {
  let dots = 0;
  for (let i = text.indexOf('.'); i !== -1; i = text.indexOf('.', i + 1)) dots++;
  return dots;
}

async function main(): Promise<void> {
  const probe = new BenchProbe();
  const connection = await amqplib.connect(url);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(prefetch, false);

  let active = 0;
  let onIdle: (() => void) | undefined;

  const handle = async (message: ConsumeMessage): Promise<void> => {
    const type = message.properties.type;
    if (type === TaskNames.latency) probe.handlerStarted(message.properties.headers);
    const text = message.content.toString('utf8');
    print(` [x] Received ${pythonRepr(text)}`);
    if (type === TaskNames.sleep) {
      await sleep(SLEEP_MS);
    } else {
      const dots = countDots(text);
      if (dots > 0 && msPerDot > 0) await sleep(dots * msPerDot);
    }
    print(' [x] Done');
  };

  const onMessage = (message: ConsumeMessage | null): void => {
    if (message === null) return;
    active++;
    probe.delivered();
    handle(message)
      .then(
        () => {
          channel.ack(message);
          probe.settled(true);
        },
        (error: Error) => {
          process.stderr.write(`task failed: ${error.message}\n`);
          channel.nack(message, false, false);
          probe.settled(false);
        },
      )
      .finally(() => {
        if (--active === 0) onIdle?.();
      });
  };

  let consumerTag: string | undefined;
  serveRunner(probe, {
    go: async () => {
      ({ consumerTag } = await channel.consume(queue, onMessage, { noAck: false }));
    },
    exit: async () => {
      if (consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      if (active > 0) await new Promise<void>((resolve) => (onIdle = resolve));
      await connection.close().catch(() => undefined);
    },
  });
  reportReady();
}

main().catch(reportFailure);
