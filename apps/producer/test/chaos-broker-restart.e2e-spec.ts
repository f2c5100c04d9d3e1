import { deleteQueues, queueCounts, queueFamily, startBroker, stopBroker, uniqueQueue, waitForBroker } from '../../../test/support/broker.js';
import { ENTRY, type RunningProcess, startProcess, startWorker } from '../../../test/support/processes.js';
import { countChaos, eventually, tasksDone } from '../../../test/support/task-ledger.js';

/**
 * Chaos: the broker is restarted (stop_app, start_app) while clients keep
 * calling the producer's HTTP API. Every 202 must be done; requests made while
 * the broker is down must get 503; workers and producer recover by themselves.
 */
describe('chaos: broker restart mid-stream, HTTP API called throughout', () => {
  const queue = uniqueQueue('chaos-restart');
  const port = String(3400 + Math.floor(Math.random() * 500));
  const env = { TASK_QUEUE: queue, MS_PER_DOT: '0', PORT: port, PUBLISH_TIMEOUT_MS: '5000' };
  const workers: RunningProcess[] = [];
  let producer: RunningProcess;

  afterAll(async () => {
    await waitForBroker(120_000).catch(() => startBroker());
    await Promise.all([...workers, producer].filter(Boolean).map((child) => child.stop('SIGKILL')));
    await deleteQueues(queueFamily(queue));
  });

  it('does every accepted task and answers 503 while the broker is down', async () => {
    workers.push(await startWorker(env), await startWorker(env));
    producer = startProcess(ENTRY.producer, env);
    await waitForHttp(`http://127.0.0.1:${port}/tasks`);

    type Outcome = { text: string; status: number; phase: Phase; ms: number };
    type Phase = 'up' | 'stopping' | 'down' | 'starting' | 'back' | 'across';
    let phase: Phase = 'up';
    let sent = 0;
    let running = true;
    const outcomes: Outcome[] = [];
    const post = async (text: string) => {
      const at = phase;
      const started = Date.now();
      let status: number;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/tasks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
          signal: AbortSignal.timeout(15_000),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0; // no answer at all
      }
      // A phase only when the whole request ran in it: one sent while the broker was down
      // may be confirmed once it is back, and is then rightly accepted.
      outcomes.push({ text, status, phase: at === phase ? at : 'across', ms: Date.now() - started });
    };
    const client = async (id: number) => {
      while (running) await post(`restart ${id}-${sent++}`);
    };
    const clients = Promise.all([0, 1, 2, 3].map(client));

    const accepted = () => outcomes.filter((outcome) => outcome.status === 202).length;
    await eventually(() => accepted() >= 200, 30_000, '200 accepted tasks before the restart');
    phase = 'stopping';
    await stopBroker();
    phase = 'down';
    const answeredWhileDown = () => outcomes.filter((outcome) => outcome.phase === 'down').length;
    await eventually(() => answeredWhileDown() >= 20, 30_000, '20 requests answered while the broker is down');
    phase = 'starting';
    await startBroker();
    phase = 'back';
    const backFrom = accepted();
    await eventually(() => accepted() - backFrom >= 200, 60_000, '200 accepted tasks after the restart');
    running = false;
    await clients;

    const confirmed = outcomes.filter((outcome) => outcome.status === 202).map((outcome) => outcome.text);
    await eventually(() => confirmed.every((text) => tasksDone(workers).has(text)), 60_000, 'every accepted task to be done');
    const counts = countChaos('chaos broker restart', outcomes.length, confirmed, tasksDone(workers));
    const whileDown = outcomes.filter((outcome) => outcome.phase === 'down');
    process.stdout.write(
      `chaos broker restart: ${whileDown.length} requests while down, statuses ${JSON.stringify(countBy(whileDown.map((o) => o.status)))}, ` +
        `slowest ${Math.max(...whileDown.map((o) => o.ms))} ms\n`,
    );

    expect(counts.lost).toBe(0);
    expect(whileDown.length).toBeGreaterThanOrEqual(20);
    expect(whileDown.every((outcome) => outcome.status === 503)).toBe(true);
    expect(whileDown.every((outcome) => outcome.ms < 10_000)).toBe(true);
    // Only the producer's answers, never a dropped connection.
    expect(outcomes.filter((outcome) => ![202, 503].includes(outcome.status))).toEqual([]);

    await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
  });
});

async function waitForHttp(url: string): Promise<void> {
  await eventually(
    async () => {
      try {
        await fetch(url, { method: 'GET' });
        return true;
      } catch {
        return false;
      }
    },
    20_000,
    `${url} to answer`,
  );
}

function countBy(values: number[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, value) => ({ ...acc, [value]: (acc[value] ?? 0) + 1 }), {});
}
