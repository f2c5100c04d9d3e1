import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import { brokerUrl } from './broker.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The built entry points the tests run, as the README's npm scripts do. */
export const ENTRY = {
  worker: resolve(ROOT, 'dist/apps/worker/src/main.js'),
  producer: resolve(ROOT, 'dist/apps/producer/src/main.js'),
  newTask: resolve(ROOT, 'dist/apps/producer/src/cli/new-task.js'),
  queues: resolve(ROOT, 'dist/apps/producer/src/cli/queues.js'),
  dlq: resolve(ROOT, 'dist/apps/producer/src/cli/dlq.js'),
};

/** The worker's ready line and its end-of-task line, as the tutorial's worker.py prints them. */
export const WAITING = ' [*] Waiting for messages. To exit press CTRL+C';
export const DONE = ' [x] Done';

/**
 * A child process whose stdout is read line by line, so a test can wait for
 * a line (an event) instead of sleeping.
 */
export class RunningProcess {
  readonly lines: string[] = [];
  stderr = '';
  private waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void; from: number }> = [];
  private partial = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // 'close', not 'exit': by then all of its stdout has been read (a worker writes its last lines at exit).
    this.exited = once(child, 'close').then(([code, signal]) => ({ code, signal }));
  }

  /** Resolves with the first line (from line index `from` on) that matches. */
  waitForLine(match: string | RegExp, timeoutMs = 30_000, from = 0): Promise<string> {
    const test = (line: string) => (typeof match === 'string' ? line.includes(match) : match.test(line));
    const seen = this.lines.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`no line matching ${match} within ${timeoutMs} ms; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ test, resolve: done, from });
    });
  }

  /**
   * Resolves with the index of the `count`-th stdout line that matches (lines
   * already printed count too). A worker writes its lines within 50 ms, not
   * at once: wait for them after a broker event rather than counting straight away.
   */
  async waitForCount(match: string | RegExp, count: number, timeoutMs = 30_000): Promise<number> {
    let index = -1;
    for (let seen = 0; seen < count; seen++) {
      const line = await this.waitForLine(match, timeoutMs, index + 1);
      index = this.lines.indexOf(line, index + 1);
    }
    return index;
  }

  /** Counts stdout lines that match. */
  count(match: string | RegExp): number {
    return this.lines.filter((line) => (typeof match === 'string' ? line.includes(match) : match.test(line))).length;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  private onStdout(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      const index = this.lines.length - 1;
      for (const waiter of [...this.waiters]) {
        if (index >= waiter.from && waiter.test(line)) {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          waiter.resolve(line);
        }
      }
    }
  }
}

/** Environment for a child: the test broker, fast tasks, and the given overrides. */
export function childEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, AMQP_URL: brokerUrl(), MS_PER_DOT: '50', WORKER_PORT: '0', NODE_OPTIONS: '', ...overrides };
}

export function startProcess(entry: string, env: Record<string, string | undefined>, args: string[] = []): RunningProcess {
  return new RunningProcess(spawn(process.execPath, [entry, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts a worker and waits until its consumer is registered. */
export async function startWorker(env: Record<string, string | undefined>): Promise<RunningProcess> {
  const worker = startProcess(ENTRY.worker, env);
  await worker.waitForLine(WAITING);
  return worker;
}

/** Runs a CLI to its end and returns what it printed. */
export async function runCli(
  entry: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startProcess(entry, env, args);
  const { code } = await running.exited;
  return { code, stdout: running.lines.join('\n'), stderr: running.stderr };
}

/** A line a worker prints for a task, as the tutorial's worker.py does (texts without quotes). */
export function receivedLine(text: string): string {
  return ` [x] Received '${text}'`;
}

/**
 * Resolves with whichever process prints a matching line first (lines
 * already printed count too). Unlike racing `waitForLine`s, it leaves no timer
 * behind for the processes that lose.
 */
export function firstToPrint(processes: RunningProcess[], match: string | RegExp, timeoutMs = 30_000): Promise<RunningProcess> {
  const test = (line: string) => (typeof match === 'string' ? line.includes(match) : match.test(line));
  return new Promise((resolve, reject) => {
    const check = () => {
      const winner = processes.find((running) => running.lines.some(test));
      if (winner) {
        cleanup();
        resolve(winner);
      }
    };
    // Registered after RunningProcess's own listener, so `lines` is already up to date.
    const listeners = processes.map((running) => {
      running.child.stdout!.on('data', check);
      return () => running.child.stdout!.off('data', check);
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no process printed a line matching ${match} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      listeners.forEach((remove) => remove());
    };
    check();
  });
}

/** Waits for a line after the given one: e.g. the ` [x] Done` that follows a ` [x] Received`. */
export async function waitForLineAfter(running: RunningProcess, after: string, match: string | RegExp, timeoutMs = 30_000): Promise<string> {
  await running.waitForLine(after, timeoutMs);
  return running.waitForLine(match, timeoutMs, running.lines.findIndex((line) => line.includes(after)) + 1);
}

const ANSI_COLOURS = /\x1b\[[0-9;]*m/g;

/**
 * Waits until a process has written `match` to stderr (where the apps log).
 * Rejects at once if the process exits first, quoting the end of its stderr.
 */
export function waitForStderr(running: RunningProcess, match: string, timeoutMs = 30_000): Promise<void> {
  const name = running.child.spawnargs.at(-1) ?? 'process';
  return new Promise((resolve, reject) => {
    const check = () => {
      if (running.stderr.includes(match)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      const tail = running.stderr.replace(ANSI_COLOURS, '').slice(-3000);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before writing '${match}' to stderr; stderr:\n${tail}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${name} did not write '${match}' to stderr within ${timeoutMs} ms; stderr:\n${running.stderr.replace(ANSI_COLOURS, '').slice(-3000)}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      running.child.stderr!.off('data', check);
      running.child.off('exit', onExit);
    };
    running.child.stderr!.on('data', check);
    running.child.once('exit', onExit);
    check();
  });
}

/** A TCP port nothing listens on right now, for a child's HTTP server. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the HTTP producer (set `PORT`) and waits until it listens. If it
 * exits or does not listen in time, it is killed and the error quotes its stderr.
 */
export async function startProducer(env: Record<string, string | undefined>): Promise<RunningProcess> {
  const producer = startProcess(ENTRY.producer, env);
  try {
    await waitForStderr(producer, 'HTTP API on port');
  } catch (error) {
    await producer.stop('SIGKILL');
    throw error;
  }
  return producer;
}

/**
 * Runs a CLI to its end like `runCli`, but kills it (SIGKILL) if it runs
 * longer than `timeoutMs`, and reports how long it ran.
 */
export async function runCliWithin(
  entry: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; ms: number; stdout: string; stderr: string }> {
  const startedAt = performance.now();
  const running = startProcess(entry, env, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    running.child.kill('SIGKILL');
  }, timeoutMs);
  const { code, signal } = await running.exited;
  clearTimeout(timer);
  return { code, signal, timedOut, ms: performance.now() - startedAt, stdout: running.lines.join('\n'), stderr: running.stderr };
}
