import { deleteQueues, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { ENTRY, freePort, runCliWithin, startProcess, waitForStderr } from '../../../test/support/processes.js';

const SECRET = 'pa55-w0rd-S3cret';
const UNREACHABLE = `amqp://app:${SECRET}@127.0.0.1:5999`;
const programs = {
  worker: ENTRY.worker,
  producer: ENTRY.producer,
  'new-task': ENTRY.newTask,
  queues: ENTRY.queues,
  dlq: ENTRY.dlq,
};

/** A user's mistake gets one clear line naming it, a non-zero exit, and never a password or a stack. */
describe('configuration errors and secrets', () => {
  const queue = uniqueQueue('config');
  afterAll(() => deleteQueues(queueFamily(queue)));

  const badValues: Array<[keyof typeof programs, string, string]> = [
    ['worker', 'AMQP_URL', 'http://x'],
    ['worker', 'AMQP_URL', 'amqp://user:hunter22@'],
    ['worker', 'PREFETCH_COUNT', 'abc'],
    ['worker', 'PREFETCH_COUNT', '0'],
    ['worker', 'MS_PER_DOT', '-5'],
    ['worker', 'TASK_MAX_ATTEMPTS', '0'],
    ['worker', 'TASK_RETRY_DELAY_MS', '1.5'],
    ['worker', 'TASK_MAX_BYTES', 'lots'],
    ['worker', 'SHUTDOWN_TIMEOUT_MS', '-1'],
    ['worker', 'WORKER_PORT', '99999'],
    ['worker', 'LOG_FORMAT', 'xml'],
    ['worker', 'TASK_QUEUE', ' '],
    ['worker', 'AMQP_CA_FILE', '/nonexistent/ca.pem'],
    ['producer', 'PORT', 'eighty'],
    ['producer', 'PUBLISH_TIMEOUT_MS', '0'],
    ['new-task', 'AMQP_URL', 'localhost:5672'],
    ['queues', 'MANAGEMENT_URL', 'ftp://x'],
    ['dlq', 'TASK_MAX_ATTEMPTS', 'five'],
  ];

  it.each(badValues)('%s exits non-zero at once with one line naming %s=%j', async (program, variable, value) => {
    const result = await runCliWithin(programs[program], [], { TASK_QUEUE: queue, [variable]: value }, 5_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${program}: invalid environment: ${variable} `));
    expect(result.stderr).not.toContain('hunter22');
  });

  it.each(['new-task', 'queues', 'dlq'] as const)('%s never shows the password when the broker is unreachable', async (program) => {
    const result = await runCliWithin(programs[program], [], { TASK_QUEUE: queue, AMQP_URL: UNREACHABLE, MANAGEMENT_URL: 'http://127.0.0.1:5998' }, 15_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  });

  it('the worker keeps retrying an unreachable broker and never logs the password', async () => {
    const worker = startProcess(programs.worker, { TASK_QUEUE: queue, AMQP_URL: UNREACHABLE });
    try {
      await waitForStderr(worker, 'ECONNREFUSED', 10_000);
      await waitForStderr(worker, 'ECONNREFUSED', 10_000).then(() => undefined);
      expect(worker.stderr).not.toContain(SECRET);
      expect(worker.stderr).not.toMatch(/\n\s+at /);
      expect(worker.lines).toEqual([]);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await worker.stop('SIGKILL');
    }
  });

  it('the producer answers 503 without the password, and logs none', async () => {
    const port = await freePort();
    const producer = startProcess(programs.producer, { TASK_QUEUE: queue, AMQP_URL: UNREACHABLE, PORT: String(port) });
    try {
      await waitForStderr(producer, 'HTTP API on port', 10_000);
      const response = await fetch(`http://127.0.0.1:${port}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x' }),
      });
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(body).toContain('amqp://app:***@127.0.0.1:5999');
      expect(body).not.toContain(SECRET);
      expect(producer.stderr).not.toContain(SECRET);
    } finally {
      await producer.stop('SIGKILL');
    }
  });

  it('LOG_FORMAT=json writes JSON lines to stderr and keeps stdout for the tutorial', async () => {
    const worker = startProcess(programs.worker, { TASK_QUEUE: queue, LOG_FORMAT: 'json' });
    try {
      await worker.waitForLine(' [*] Waiting for messages. To exit press CTRL+C');
      await waitForStderr(worker, 'consuming', 10_000);
      const logLines = worker.stderr.trim().split('\n');
      for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
      expect(logLines.map((line) => JSON.parse(line))).toContainEqual(
        expect.objectContaining({ app: 'worker', context: 'TaskWorker', msg: expect.stringContaining(`consuming '${queue}'`) }),
      );
      expect(worker.lines).toEqual([' [*] Waiting for messages. To exit press CTRL+C']);
    } finally {
      await worker.stop('SIGKILL');
    }
  });
});
