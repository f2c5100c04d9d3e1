import { exitWithError, listDeadLetters, loadEnvOrExit, pythonRepr, requeueDeadLetters } from '@app/tasks';
import { producerEnvSchema } from '../config/producer-env.js';

const USAGE = `usage: npm run dlq                      list dead letters (up to 50; --limit N)
       npm run dlq -- --requeue           move every dead letter back to the work queue
       npm run dlq -- --requeue ID...     move back the ones with these message ids`;

/** Lists the dead-letter queue, or moves its tasks back to the work queue. */
async function main(): Promise<void> {
  const env = loadEnvOrExit(producerEnvSchema, 'dlq');
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const brokerUrl = env.AMQP_URL[0];
  if (args[0] === '--requeue') {
    const ids = args.slice(1);
    const { requeued, kept } = await requeueDeadLetters(brokerUrl, env.TASK_QUEUE, ids.length ? new Set(ids) : undefined);
    process.stdout.write(`requeued ${requeued} task(s) to '${env.TASK_QUEUE}'${kept ? `, kept ${kept}` : ''}\n`);
    return;
  }
  const limitAt = args.indexOf('--limit');
  const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : 50;
  if (!Number.isInteger(limit) || limit < 1 || (args.length > 0 && limitAt !== 0)) {
    throw new Error(`bad arguments\n${USAGE}`);
  }
  const { total, letters } = await listDeadLetters(brokerUrl, env.TASK_QUEUE, limit);
  process.stdout.write(`${total} dead letter(s) in '${env.TASK_QUEUE}.dlq'${total > letters.length ? `, showing ${letters.length}` : ''}\n`);
  for (const letter of letters) {
    process.stdout.write(
      `${letter.messageId ?? '(no id)'}  ${letter.type ?? '(no type)'}  ${letter.reason ?? '?'}  attempts=${letter.attempts ?? '?'}  ` +
        `at=${letter.deadLetteredAt ?? '?'}\n    error: ${letter.lastError ?? '?'}\n    body: ${pythonRepr(letter.body.slice(0, 200))}\n`,
    );
  }
}

main().catch((error) => exitWithError('dlq', error));
