import { deleteQueues, queueFamily, startBroker, stopBroker, uniqueQueue, waitForBroker } from '../../../test/support/broker.js';
import { ENTRY, freePort, runCli, type RunningProcess, startProducer, startWorker } from '../../../test/support/processes.js';
import { eventually } from '../../../test/support/task-ledger.js';

/** /health and /metrics of both apps, and health across a broker restart. */
describe('health and metrics', () => {
  const queue = uniqueQueue('observability');
  let worker: RunningProcess;
  let producer: RunningProcess;
  let workerUrl: string;
  let producerUrl: string;

  beforeAll(async () => {
    const [workerPort, producerPort] = [await freePort(), await freePort()];
    workerUrl = `http://127.0.0.1:${workerPort}`;
    producerUrl = `http://127.0.0.1:${producerPort}`;
    worker = await startWorker({ TASK_QUEUE: queue, MS_PER_DOT: '0', WORKER_PORT: String(workerPort) });
    producer = await startProducer({ TASK_QUEUE: queue, PORT: String(producerPort) });
  });
  afterAll(async () => {
    await waitForBroker(120_000).catch(() => startBroker());
    await Promise.all([worker?.stop('SIGKILL'), producer?.stop('SIGKILL')]);
    await deleteQueues(queueFamily(queue));
  });

  const status = async (url: string) => (await fetch(`${url}/health`)).status;

  it('counts in /metrics exactly the tasks the worker did', async () => {
    for (const text of ['one', 'two', 'three']) {
      expect((await runCli(ENTRY.newTask, [text], { TASK_QUEUE: queue })).code).toBe(0);
    }
    await worker.waitForLine(' [x] Done', 10_000, worker.lines.findIndex((line) => line.includes("'three'")));
    const response = await fetch(`${producerUrl}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'four' }),
    });
    expect(response.status).toBe(202);
    await worker.waitForCount(' [x] Done', 4, 10_000);

    const workerMetrics = await (await fetch(`${workerUrl}/metrics`)).text();
    expect(workerMetrics).toMatch(/^tasks_received_total 4$/m);
    expect(workerMetrics).toMatch(/^tasks_done_total\{task="tutorial"\} 4$/m);
    expect(workerMetrics).toMatch(/^tasks_in_flight 0$/m);
    expect(workerMetrics).toMatch(/^task_duration_seconds_count\{task="tutorial",outcome="done"\} 4$/m);
    expect(workerMetrics).toMatch(/^broker_connection_up\{role="worker"\} 1$/m);

    const producerMetrics = await (await fetch(`${producerUrl}/metrics`)).text();
    expect(producerMetrics).toMatch(/^tasks_enqueued_total\{task="tutorial"\} 1$/m);
    expect(producerMetrics).toMatch(/^task_publish_confirm_seconds_count\{task="tutorial"\} 1$/m);
    expect(producerMetrics).toMatch(/^broker_connection_up\{role="publisher"\} 1$/m);
  });

  it('goes 200 -> 503 -> 200 on both apps across a broker stop_app / start_app', async () => {
    expect(await status(workerUrl)).toBe(200);
    expect(await status(producerUrl)).toBe(200);

    await stopBroker();
    await eventually(async () => (await status(workerUrl)) === 503, 5_000, 'the worker to report 503');
    await eventually(async () => (await status(producerUrl)) === 503, 5_000, 'the producer to report 503');
    const body = (await (await fetch(`${workerUrl}/health`)).json()) as { status: string; error: Record<string, unknown> };
    expect(body).toMatchObject({ status: 'error', error: { broker: { status: 'down' } } });
    const producerMetrics = await (await fetch(`${producerUrl}/metrics`)).text();
    expect(producerMetrics).toMatch(/^broker_connection_up\{role="publisher"\} 0$/m);

    await startBroker();
    await eventually(async () => (await status(workerUrl)) === 200, 15_000, 'the worker to report 200 again');
    await eventually(async () => (await status(producerUrl)) === 200, 15_000, 'the producer to report 200 again');

    // Health says the worker consumes again: a task sent now is done.
    expect((await runCli(ENTRY.newTask, ['after the restart'], { TASK_QUEUE: queue })).code).toBe(0);
    await worker.waitForLine(" [x] Received 'after the restart'", 10_000);
  });
});
