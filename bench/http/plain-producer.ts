/**
 * The HTTP ceiling: the producer's `POST /tasks` in plain node:http and
 * amqplib, with the same semantics: a JSON body `{"text": "..."}` (at most
 * 512 KiB, text at most 64 KiB, no other fields), published as a persistent
 * message with the same properties, answered 202 `{"id"}` only once the broker
 * has confirmed it (503 if it does not), 400 for a bad body.
 *
 * Env: AMQP_URL, TASK_QUEUE, PORT. Also `GET /health`, 200 once connected.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import amqplib from 'amqplib';

const url = (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').split(',')[0].trim();
const queue = process.env.TASK_QUEUE ?? 'task_queue';
const port = Number(process.env.PORT ?? '3000');
const MAX_BODY_BYTES = 512 * 1024;
const MAX_TEXT_BYTES = 64 * 1024;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const connection = await amqplib.connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { durable: true });
  // As the producer does: a task no queue takes comes back (mandatory) and is not a success.
  const returned = new Set<string>();
  channel.on('return', (message) => returned.add(String(message.properties.messageId)));

  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/tasks') return reply(res, 404, { message: 'not found' });
    const raw = await readBody(req);
    if (raw === undefined) return reply(res, 413, { message: 'body too large' });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, { message: 'body must be JSON' });
    }
    const text = (body as { text?: unknown } | null)?.text;
    if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1 || typeof text !== 'string') {
      return reply(res, 400, { message: 'body must be {"text": string}' });
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return reply(res, 400, { message: 'text must be at most 64 KiB' });
    const id = randomUUID();
    channel.sendToQueue(
      queue,
      Buffer.from(text, 'utf8'),
      {
        persistent: true,
        contentType: 'text/plain',
        contentEncoding: 'utf-8',
        type: 'tutorial',
        messageId: id,
        timestamp: Math.floor(Date.now() / 1000),
        mandatory: true,
      },
      (error) =>
        error || returned.delete(id) ? reply(res, 503, { message: 'the broker did not confirm the task' }) : reply(res, 202, { id }),
    );
  });
  server.listen(port);
  process.on('SIGTERM', () => {
    server.close(() => connection.close().finally(() => process.exit(0)));
    server.closeIdleConnections();
  });
}

main().catch((error) => {
  process.stderr.write(`plain-producer: ${(error as Error).message}\n`);
  process.exit(1);
});
