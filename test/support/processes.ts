import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
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
  return { ...process.env, AMQP_URL: brokerUrl(), MS_PER_DOT: '50', NODE_OPTIONS: '', ...overrides };
}

export function startProcess(entry: string, env: Record<string, string | undefined>, args: string[] = []): RunningProcess {
  return new RunningProcess(spawn(process.execPath, [entry, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts a worker and waits until its consumer is registered. */
export async function startWorker(env: Record<string, string | undefined>): Promise<RunningProcess> {
  const worker = startProcess(ENTRY.worker, env);
  await worker.waitForLine(' [*] Waiting for messages. To exit press CTRL+C');
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
