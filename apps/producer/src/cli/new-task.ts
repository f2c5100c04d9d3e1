import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { exitWithError, loadEnvOrExit, pythonRepr, TaskPublisher, tasksOptionsFromEnv, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { producerEnvSchema } from '../config/producer-env.js';
import { BulkProgress } from './bulk-progress.js';

const USAGE = `usage: npm run new-task -- [words...]        send one task (default 'Hello World!')
       npm run new-task -- --from FILE       send one task per line of FILE ('-' reads stdin)`;

/**
 * The tutorial's new_task.py: sends its arguments as one task and prints
 * ` [x] Sent '...'` once the broker has confirmed it. With `--from` it sends
 * a file's lines with pipelined confirms.
 */
async function main(): Promise<void> {
  const env = loadEnvOrExit(producerEnvSchema, 'new-task');
  Logger.overrideLogger(false);
  const args = process.argv.slice(2);
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const publisher = new TaskPublisher(tasksOptionsFromEnv(env));
  try {
    if (args[0] === '--from') {
      if (args.length !== 2) throw new Error(`--from takes one file name\n${USAGE}`);
      await sendFile(publisher, args[1]);
    } else {
      const text = args.join(' ') || 'Hello World!';
      await publisher.enqueue(TutorialTask, text);
      process.stdout.write(` [x] Sent ${pythonRepr(text)}\n`);
    }
  } catch (error) {
    await publisher.close();
    exitWithError('new-task', error, env.AMQP_URL);
  }
  await publisher.close();
}

async function sendFile(publisher: TaskPublisher, file: string): Promise<void> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot read ${file}: ${error.code ?? error.message}`)));
    if (file === '-') resolve();
    else input.once('open', () => resolve());
  });
  await opened;
  const lines = (async function* () {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.length > 0) yield line;
    }
  })();
  const progress = new BulkProgress(file === '-' ? undefined : file);
  await progress.start();
  const result = await publisher.enqueueMany(TutorialTask, lines, (ok) => progress.settled(ok));
  progress.stop();
  process.stdout.write(`sent ${result.confirmed} task(s) to '${publisher.queue}', ${result.failed} not confirmed\n`);
  if (result.failed > 0) {
    throw new Error(`${result.failed} task(s) were not confirmed by the broker (first error: ${result.errors[0]})`);
  }
}

void main();
