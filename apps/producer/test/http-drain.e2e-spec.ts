import { deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { freePort, type RunningProcess, startProducer } from '../../../test/support/processes.js';

/** On SIGTERM the producer answers the requests it has in flight before it closes. */
describe('the producer stopping under load', () => {
  const queue = uniqueQueue('http-drain');
  let producer: RunningProcess;

  afterAll(async () => {
    await producer?.stop('SIGKILL');
    await deleteQueues(queueFamily(queue));
  });

  it('answers every request it took, then exits 0', async () => {
    const port = await freePort();
    producer = await startProducer({ TASK_QUEUE: queue, PORT: String(port) });
    const post = (i: number) =>
      fetch(`http://127.0.0.1:${port}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `drain ${i}` }),
      }).then(
        async (response) => ({ status: response.status, body: await response.text() }),
        (error: Error & { cause?: { code?: string } }) => ({ status: 0, body: error.cause?.code ?? error.message }),
      );

    const first = await post(0);
    expect(first.status).toBe(202);
    // Many requests on the wire at once, and SIGTERM while they are being served.
    const inFlight = Array.from({ length: 40 }, (_, i) => post(i + 1));
    // Once one is answered the server is busy with the others: stop it now.
    await Promise.race(inFlight);
    producer.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    const { code } = await producer.exited;

    const accepted = answers.filter((answer) => answer.status === 202).length;
    // A request the server had not yet taken may be refused (connection refused, or reset while still
    // in the kernel's accept queue) or answered 503 (it arrived after the close began). None it took is
    // cut off mid-answer (undici: UND_ERR_SOCKET, "other side closed") or failed otherwise.
    const notTaken = (answer: { status: number; body: string }) =>
      answer.status === 503 || answer.body === 'ECONNREFUSED' || answer.body === 'ECONNRESET';
    expect(answers.filter((answer) => answer.status !== 202 && !notTaken(answer))).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    expect(code).toBe(0);
    // Every 202 is a task in the queue.
    expect((await queueCounts(queue)).ready).toBe(accepted + 1);
  });
});
