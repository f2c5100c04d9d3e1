import { exitWithError, loadEnvOrExit, pythonRepr, TaskPublisher, tasksOptionsFromEnv, TutorialTask } from '@app/tasks';
import { Logger } from '@nestjs/common';
import { producerEnvSchema } from '../config/producer-env.js';

/**
 * The tutorial's new_task.py: sends its arguments as one task ("Hello World!"
 * when there are none) and prints ` [x] Sent '...'` once the broker confirms.
 */
async function main(): Promise<void> {
  const env = loadEnvOrExit(producerEnvSchema, 'new-task');
  Logger.overrideLogger(false);
  const publisher = new TaskPublisher(tasksOptionsFromEnv(env));
  const text = process.argv.slice(2).join(' ') || 'Hello World!';
  try {
    await publisher.enqueue(TutorialTask, text);
    process.stdout.write(` [x] Sent ${pythonRepr(text)}\n`);
  } catch (error) {
    await publisher.close();
    exitWithError('new-task', error, env.AMQP_URL);
  }
  await publisher.close();
}

void main();
