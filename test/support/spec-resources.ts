import { deleteQueues, publishRaw, queueFamily, uniqueQueue } from './broker.js';
import { type RunningProcess, startWorker } from './processes.js';

/**
 * The queues and worker processes one spec file makes. Workers are killed
 * after each test; every queue's family (work, retries, dead letters) is
 * deleted after the file. Call it inside a `describe`.
 */
export function specResources(prefix: string, maxAttempts = 5) {
  const queues: string[] = [];
  const workers: RunningProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((running) => running.stop('SIGKILL')));
  });
  afterAll(() => deleteQueues(queues.flatMap((queue) => queueFamily(queue, maxAttempts))));
  return {
    /** A fresh task queue for one test. */
    newQueue(name: string): string {
      const queue = uniqueQueue(`${prefix}-${name}`);
      queues.push(queue);
      return queue;
    },
    /** Starts a worker (waits for its ready line); it is killed after the test. */
    async worker(env: Record<string, string>): Promise<RunningProcess> {
      const running = await startWorker(env);
      workers.push(running);
      return running;
    },
  };
}

/** A tutorial task as the library's publisher sends it (text body, type `tutorial`). */
export function publishTutorialTask(queue: string, text: string, messageId?: string): Promise<void> {
  return publishRaw(queue, text, { type: 'tutorial', contentType: 'text/plain', messageId });
}
