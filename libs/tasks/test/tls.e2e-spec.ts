import { deleteQueues, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { ENTRY, runCliWithin, type RunningProcess, startWorker } from '../../../test/support/processes.js';
import { TlsBrokerProxy } from '../../../test/support/tls-proxy.js';

/** `amqps://` URLs, with the CA given in AMQP_CA_FILE, for both the producer's CLI and the worker. */
describe('amqps:// with a private CA', () => {
  const queue = uniqueQueue('tls');
  let proxy: TlsBrokerProxy;
  let worker: RunningProcess | undefined;

  beforeAll(async () => {
    proxy = await TlsBrokerProxy.start();
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await proxy?.stop();
    await deleteQueues(queueFamily(queue));
  });

  it('sends and works a task over TLS when the CA is given', async () => {
    const env = { TASK_QUEUE: queue, AMQP_URL: `amqps://guest:guest@localhost:${proxy.port}`, AMQP_CA_FILE: proxy.caFile };
    worker = await startWorker(env);
    const sent = await runCliWithin(ENTRY.newTask, ['Over TLS.'], env, 15_000);
    expect(sent).toMatchObject({ code: 0, stdout: " [x] Sent 'Over TLS.'" });
    await worker.waitForLine(" [x] Received 'Over TLS.'", 10_000);
  });

  it('refuses a broker whose certificate it cannot verify, with one clear line', async () => {
    const env = { TASK_QUEUE: queue, AMQP_URL: `amqps://guest:guest@localhost:${proxy.port}`, PUBLISH_TIMEOUT_MS: '3000' };
    const sent = await runCliWithin(ENTRY.newTask, ['Unverified.'], env, 15_000);
    expect(sent.code).not.toBe(0);
    expect(sent.stderr.trim().split('\n')).toHaveLength(1);
    expect(sent.stderr).toMatch(/certificate/i);
  });
});
