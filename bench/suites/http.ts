import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { uniqueQueue } from '../lib/broker.js';
import { IMPLS, type Impl } from '../lib/publishers.js';
import { Figures } from '../lib/report.js';
import { readMemory } from '../lib/worker-process.js';
import { fmt, type SuiteContext, type SuiteOutput } from './context.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** ours: the built producer app; amqplib: the same endpoint in plain node:http + amqplib. */
const SERVER_ENTRY: Record<Impl, string> = {
  ours: join(ROOT, 'dist/apps/producer/src/main.js'),
  amqplib: new URL('../http/plain-producer.js', import.meta.url).pathname,
};

interface HttpResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  ok: number;
  peakRssMb: number;
}

/**
 * `POST /tasks` under autocannon (keep-alive, N connections, D seconds):
 * requests/s, latency p50/p99, non-2xx answers. Each 202 means the broker
 * confirmed the task, so the queue must then hold at least that many.
 */
export async function runHttpSuite(ctx: SuiteContext): Promise<SuiteOutput> {
  const rounds = ctx.args.rounds ?? 1;
  const figures = new Figures();
  const warnings: string[] = [];
  figures.declare('http_rps', `POST /tasks, ${ctx.args.connections} connections`, 'req/s', 'higher');
  figures.declare('http_p50', 'POST /tasks latency p50', 'ms', 'lower');
  figures.declare('http_p99', 'POST /tasks latency p99', 'ms', 'lower');
  figures.declare('http_non2xx', 'non-2xx answers', 'count', 'lower');
  figures.declare('http_errors', 'socket errors and timeouts', 'count', 'lower');
  figures.declare('http_peak_rss', 'server peak RSS (VmHWM)', 'MB', 'lower');

  const queue = uniqueQueue('http');
  await ctx.admin.createWorkQueue(queue);
  for (let round = 1; round <= rounds; round++) {
    const results = {} as Record<Impl, HttpResult>;
    for (const impl of IMPLS) {
      results[impl] = await loadOnce(ctx, impl, queue, `r${round}-${impl}-http`, warnings);
      const r = results[impl];
      ctx.log(`round ${round}/${rounds} · ${impl}: ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
    }
    figures.add('http_rps', results.ours.rps, results.amqplib.rps);
    figures.add('http_p50', results.ours.p50, results.amqplib.p50);
    figures.add('http_p99', results.ours.p99, results.amqplib.p99);
    figures.add('http_non2xx', results.ours.non2xx, results.amqplib.non2xx);
    figures.add('http_errors', results.ours.errors, results.amqplib.errors);
    figures.add('http_peak_rss', results.ours.peakRssMb, results.amqplib.peakRssMb);
  }
  return {
    figures,
    warnings,
    config: { rounds, connections: ctx.args.connections, durationSeconds: ctx.args.duration, warmupSeconds: ctx.args.warmup, keepAlive: true, queue },
  };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function waitForHealth(base: string, child: ChildProcess, stderrFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${readFileSync(stderrFile, 'utf8').slice(-1500)}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer ${base}/health within 60 s`);
    await sleep(100);
  }
}

async function loadOnce(ctx: SuiteContext, impl: Impl, queue: string, name: string, warnings: string[]): Promise<HttpResult> {
  const port = await freePort();
  const stdoutFile = join(ctx.logDir, `${name}.out`);
  const stderrFile = join(ctx.logDir, `${name}.err`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const child = spawn(process.execPath, [SERVER_ENTRY[impl]], {
    stdio: ['ignore', out, err],
    env: { ...process.env, NODE_OPTIONS: '', AMQP_URL: ctx.url, TASK_QUEUE: queue, PORT: String(port), LOG_FORMAT: 'text' },
  });
  closeSync(out);
  closeSync(err);
  const exited = once(child, 'exit');
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, child, stderrFile);
    const load = (duration: number) =>
      autocannon({
        url: `${base}/tasks`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Hello World' }),
        connections: ctx.args.connections,
        duration,
      });
    if (ctx.args.warmup > 0) await load(ctx.args.warmup);
    await ctx.admin.purge(queue);
    const result = await load(ctx.args.duration);
    const peakRssMb = readMemory(child.pid!).vmHwmKb / 1024;
    const { ready } = await ctx.admin.counts(queue);
    // Answers still in flight when autocannon stopped may add a few more.
    if (ready < result['2xx']) warnings.push(`${name}: ${result['2xx']} tasks answered 202 but only ${ready} are in the queue`);
    await ctx.admin.purge(queue);
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      ok: result['2xx'],
      peakRssMb,
    };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
