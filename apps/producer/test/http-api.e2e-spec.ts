import { deleteQueues, queueCounts, queueFamily, takeMessages, uniqueQueue } from '../../../test/support/broker.js';
import { freePort, type RunningProcess, startProducer } from '../../../test/support/processes.js';

const PASSWORD = 'n0t-the-Guest-pw';

/** POSTs a raw body to /tasks and reads the JSON answer. */
async function postTask(base: string, body: string): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, contentType: response.headers.get('content-type'), json: (await response.json()) as Record<string, unknown> };
}

const jsonError = (statusCode: number) => ({
  status: statusCode,
  contentType: expect.stringMatching(/^application\/json/),
  json: expect.objectContaining({ statusCode, message: expect.any(String) }),
});

describe('the producer HTTP API: POST /tasks', () => {
  describe('with the broker up', () => {
    const queue = uniqueQueue('http-api');
    let producer: RunningProcess | undefined;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      producer = await startProducer({ TASK_QUEUE: queue, PORT: String(port) });
    });
    afterAll(async () => {
      await producer?.stop('SIGKILL');
      await deleteQueues(queueFamily(queue));
    });
    afterEach(async () => {
      if (producer) await takeMessages(queue);
    });

    it('answers 202 with the task id once the task is in the queue', async () => {
      const answer = await postTask(base, JSON.stringify({ text: 'Hello.' }));
      expect(answer).toEqual({ status: 202, contentType: expect.stringMatching(/^application\/json/), json: { id: expect.any(String) } });
      // 202 comes after the broker's confirm: the task is there now, no waiting.
      expect(await queueCounts(queue)).toEqual({ ready: 1, consumers: 0 });
      const [message] = await takeMessages(queue);
      expect(message.content.toString('utf8')).toBe('Hello.');
      expect(message.properties).toMatchObject({ messageId: answer.json.id, type: 'tutorial', contentType: 'text/plain', deliveryMode: 2 });
    });

    it('takes a text of exactly 64 KiB of UTF-8', async () => {
      const answer = await postTask(base, JSON.stringify({ text: 'a'.repeat(64 * 1024) }));
      expect(answer.status).toBe(202);
      expect(await queueCounts(queue)).toEqual({ ready: 1, consumers: 0 });
    });

    it.each([
      ['a body that is not valid JSON', '{"text": "Hello.'],
      ['a body that is not an object', '"Hello."'],
      ['no text', '{}'],
      ['a text that is not a string', '{"text": 42}'],
      ['a text over 64 KiB', JSON.stringify({ text: 'a'.repeat(64 * 1024 + 1) })],
      ['a text over 64 KiB of UTF-8 though under 64 Ki characters', JSON.stringify({ text: 'é'.repeat(32 * 1024 + 1) })],
    ])('answers 400 with a JSON error to %s, and enqueues nothing', async (_, body) => {
      expect(await postTask(base, body)).toEqual(jsonError(400));
      expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
    });

    it('names the field in a 400', async () => {
      const answer = await postTask(base, '{"text": 42}');
      expect(answer.json.message).toMatch(/\btext\b/);
    });

    it('answers 413 with a JSON error to a body over the 512 kB parser limit', async () => {
      expect(await postTask(base, JSON.stringify({ text: 'a'.repeat(600 * 1024) }))).toEqual(jsonError(413));
      expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 0 });
    });
  });

  describe('with the broker unreachable (a closed port)', () => {
    const queue = uniqueQueue('http-api-down');
    let producer: RunningProcess | undefined;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      producer = await startProducer({ TASK_QUEUE: queue, PORT: String(port), AMQP_URL: `amqp://guest:${PASSWORD}@127.0.0.1:5999` });
    });
    afterAll(async () => {
      await producer?.stop('SIGKILL');
      await deleteQueues(queueFamily(queue));
    });

    it('answers 503 within 10 s, every time, never 202, and does not show the password', async () => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const startedAt = Date.now();
        const answer = await postTask(base, JSON.stringify({ text: `Hello ${attempt}.` }));
        expect(Date.now() - startedAt).toBeLessThan(10_000);
        expect(answer).toEqual(jsonError(503));
        expect(JSON.stringify(answer.json)).not.toContain(PASSWORD);
      }
      expect(producer!.stderr).not.toContain(PASSWORD);
    });
  });
});
