import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { childEnv, ENTRY, runCliWithin } from '../../../test/support/processes.js';

/** `new-task --from FILE`: one task per line, pipelined confirms, a summary line off a terminal. */
describe('bulk enqueue from a file', () => {
  const queue = uniqueQueue('bulk');
  const LINES = 3000;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulk-'));
    file = join(dir, 'tasks.txt');
    await writeFile(file, Array.from({ length: LINES }, (_, i) => `bulk task ${i}.`).join('\n') + '\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await deleteQueues(queueFamily(queue));
  });

  it('publishes every line, confirmed, and they are all in the queue', async () => {
    const result = await runCliWithin(ENTRY.newTask, ['--from', file], { TASK_QUEUE: queue }, 60_000);
    expect(result).toMatchObject({ code: 0, stdout: `sent ${LINES} task(s) to '${queue}', 0 not confirmed` });
    expect(await queueCounts(queue)).toEqual({ ready: LINES, consumers: 0 });
  });

  it("reads stdin with '-'", async () => {
    const before = (await queueCounts(queue)).ready;
    const child = spawn(process.execPath, [ENTRY.newTask, '--from', '-'], { env: childEnv({ TASK_QUEUE: queue }) });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stdin.end('from stdin 1\nfrom stdin 2\n\nfrom stdin 3\n');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`sent 3 task(s) to '${queue}', 0 not confirmed`);
    expect((await queueCounts(queue)).ready).toBe(before + 3);
  });

  it('exits non-zero and says how many were not confirmed when the broker is unreachable', async () => {
    const result = await runCliWithin(ENTRY.newTask, ['--from', file], { TASK_QUEUE: queue, AMQP_URL: 'amqp://guest:guest@127.0.0.1:5999', PUBLISH_TIMEOUT_MS: '2000' }, 30_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe(`sent 0 task(s) to '${queue}', ${LINES} not confirmed`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^new-task: ${LINES} task\\(s\\) were not confirmed`));
  });

  it('names a file it cannot read', async () => {
    const result = await runCliWithin(ENTRY.newTask, ['--from', join(dir, 'missing.txt')], { TASK_QUEUE: queue }, 15_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/^new-task: cannot read .*missing\.txt: ENOENT/);
  });
});
