import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerCommand, WorkerEvent, WorkerStats } from '../workers/probe.js';
import type { Impl } from './publishers.js';

const ENTRY: Record<Impl, string> = {
  ours: new URL('../workers/nest-worker.js', import.meta.url).pathname,
  amqplib: new URL('../workers/amqplib-worker.js', import.meta.url).pathname,
};

/** Every child still running, so an interrupted run can end them. */
const running = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

export interface WorkerSpec {
  impl: Impl;
  queue: string;
  prefetch: number;
  url: string;
  /** Names the stdout/stderr files: `<logDir>/<name>.out` and `.err`. */
  name: string;
  logDir: string;
  cpuProf?: boolean;
  /** Extra Node flags for the worker process (e.g. `--import` of a patch, in experiments). */
  nodeArgs?: string[];
}

/** From /proc/<pid>/status, in KiB. */
export interface MemoryStatus {
  vmRssKb: number;
  vmHwmKb: number;
}

export function readMemory(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { vmRssKb: field('VmRSS'), vmHwmKb: field('VmHWM') };
}

/**
 * A bench worker process (ours or plain amqplib). Its stdout (the tutorial's
 * lines) and stderr (logs) go to files; the runner talks to it over IPC.
 */
export class WorkerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (stats: WorkerStats) => void>();
  private readonly events: WorkerEvent[] = [];
  private readonly eventWaiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  /** From spawn to 'ready' (booted, not consuming), in ms. */
  bootMs = Number.NaN;

  private constructor(
    readonly spec: WorkerSpec,
    readonly child: ChildProcess,
    readonly stdoutFile: string,
    readonly stderrFile: string,
  ) {
    child.on('message', (message: WorkerEvent) => {
      if (message.event === 'stats') {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      } else {
        this.events.push(message);
        for (const wake of this.eventWaiters.splice(0)) wake();
      }
    });
    this.exited = once(child, 'exit').then(([code]) => {
      running.delete(child);
      for (const wake of this.eventWaiters.splice(0)) wake();
      return code as number | null;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts the process and waits until it has booted (not yet consuming). */
  static async start(spec: WorkerSpec): Promise<WorkerProcess> {
    const stdoutFile = join(spec.logDir, `${spec.name}.out`);
    const stderrFile = join(spec.logDir, `${spec.name}.err`);
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    const nodeArgs = [
      ...(spec.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${spec.logDir}`, `--cpu-prof-name=${spec.name}.cpuprofile`] : []),
      ...(spec.nodeArgs ?? []),
    ];
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, ENTRY[spec.impl]], {
      stdio: ['ignore', out, err, 'ipc'],
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        AMQP_URL: spec.url,
        TASK_QUEUE: spec.queue,
        PREFETCH_COUNT: String(spec.prefetch),
        MS_PER_DOT: '0',
        WORKER_PORT: '0',
        LOG_FORMAT: 'text',
      },
    });
    closeSync(out);
    closeSync(err);
    running.add(child);
    const worker = new WorkerProcess(spec, child, stdoutFile, stderrFile);
    await worker.waitForEvent('ready', 60_000);
    worker.bootMs = performance.now() - spawnedAt;
    return worker;
  }

  /**
   * Starts consuming; resolves once the consumer is registered. The worker's
   * first `warmup` settled deliveries are its warm-up; `recordSettleTimes`
   * keeps the time of every settle for `stats({ settleTimes: true })`.
   */
  async go(warmup = 0, recordSettleTimes = false): Promise<void> {
    this.send({ cmd: 'go', warmup, recordSettleTimes });
    await this.waitForEvent('consuming', 30_000);
  }

  stats(options: { latencies?: boolean; settleTimes?: boolean } = {}): Promise<WorkerStats> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      try {
        this.send({ cmd: 'stats', id, ...options });
      } catch (error) {
        this.waiting.delete(id);
        reject(error);
      }
    });
  }

  memory(): MemoryStatus {
    return readMemory(this.pid);
  }

  /** Asks the worker to stop consuming, finish and exit; kills it if it takes over 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.send({ cmd: 'exit' });
    } catch {
      this.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Lines of its stdout that start with `prefix`. */
  countLines(prefix: string): number {
    let count = 0;
    for (const line of readFileSync(this.stdoutFile, 'utf8').split('\n')) if (line.startsWith(prefix)) count++;
    return count;
  }

  private send(command: WorkerCommand): void {
    if (!this.child.connected) throw new Error(`${this.spec.name} is not running${this.stderrTail()}`);
    this.child.send(command);
  }

  private async waitForEvent(event: 'ready' | 'consuming', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = this.events.find((e) => e.event === 'failed');
      if (failed && failed.event === 'failed') throw new Error(`${this.spec.name} failed: ${failed.message}${this.stderrTail()}`);
      if (this.events.some((e) => e.event === event)) return;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.spec.name} exited (${this.child.exitCode ?? this.child.signalCode}) before '${event}'${this.stderrTail()}`);
      }
      if (Date.now() > deadline) throw new Error(`${this.spec.name} did not report '${event}' within ${timeoutMs} ms${this.stderrTail()}`);
      await Promise.race([new Promise<void>((resolve) => this.eventWaiters.push(resolve)), sleep(100)]);
    }
  }

  private stderrTail(): string {
    try {
      const text = readFileSync(this.stderrFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').trim();
      return text ? `; stderr:\n${text.slice(-1500)}` : '';
    } catch {
      return '';
    }
  }
}

export async function startWorkers(specs: WorkerSpec[]): Promise<WorkerProcess[]> {
  const started = await Promise.allSettled(specs.map((spec) => WorkerProcess.start(spec)));
  const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(workers.map((worker) => worker.stop()));
    throw (failure as PromiseRejectedResult).reason;
  }
  return workers;
}

export interface DrainResult {
  /** Tasks per second over the timed part: after the warm-up, to the last settle, all workers together. */
  rate: number;
  /**
   * Worker CPU time (user + system, `process.cpuUsage()` inside each worker)
   * from the end of the worker's share of the warm-up until the stats are read
   * after the drain (up to one 50 ms poll later, idle), per task settled in
   * that span, in µs: a steadier cost than the rate.
   */
  cpuUsPerTask: number;
  settled: number;
  notDone: number;
  windowMs: number;
  stats: WorkerStats[];
  /** Problems with the figures (a worker that did not get past its warm-up). */
  warnings: string[];
}

/**
 * Waits until the workers have settled `total` deliveries in all (counting
 * from process start), polling them every `pollMs`. Fails if nothing moves
 * for `stallMs`.
 */
export async function waitForSettled(workers: WorkerProcess[], total: number, pollMs = 50, stallMs = 30_000): Promise<WorkerStats[]> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const stats = await Promise.all(workers.map((worker) => worker.stats()));
    const settled = stats.reduce((sum, s) => sum + s.acked + s.other, 0);
    if (settled >= total) return stats;
    if (settled !== last) {
      last = settled;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`workers stalled at ${settled} of ${total} settled tasks`);
    }
    for (const worker of workers) {
      if (worker.child.exitCode !== null) throw new Error(`${worker.spec.name} exited during the run`);
    }
    await sleep(pollMs);
  }
}

/**
 * Starts every worker's consumer at once and times the drain of `total`
 * pre-filled tasks, of which the first `warmup` (all workers together) are a
 * warm-up and not timed: the JIT compiles each side's hot path during the
 * first thousands of tasks, and a long-running worker is measured warm.
 * The timed part runs from the warm-up's last settle to the last settle
 * (from the first delivery when `warmup` is 0).
 */
export async function timeDrain(workers: WorkerProcess[], total: number, warmup = 0): Promise<DrainResult> {
  const warnings: string[] = [];
  if (warmup >= total) throw new Error(`the warm-up (${warmup}) must be smaller than the tasks drained (${total})`);
  const perWorker = Math.floor(warmup / workers.length);
  await Promise.all(workers.map((worker) => worker.go(perWorker, warmup > 0)));
  await waitForSettled(workers, total);
  const stats = await Promise.all(workers.map((worker) => worker.stats({ settleTimes: warmup > 0 })));
  const settled = stats.reduce((sum, s) => sum + s.acked + s.other, 0);
  let start: number;
  let end: number;
  if (warmup > 0) {
    const times = stats.flatMap((s) => s.settleTimes ?? []).sort((a, b) => a - b);
    start = times[warmup - 1];
    end = times[times.length - 1];
  } else {
    start = Math.min(...stats.filter((s) => s.received > 0).map((s) => s.firstDeliveryAt));
    end = Math.max(...stats.map((s) => s.lastAckAt));
  }
  const windowMs = end - start;
  let cpuUs = 0;
  let cpuTasks = 0;
  for (const [i, s] of stats.entries()) {
    if (!s.warm) {
      // It settled fewer than its share of the warm-up: its CPU is not in the figure.
      warnings.push(`${workers[i].spec.name}: settled ${s.acked + s.other} tasks, not past its warm-up of ${perWorker}; its CPU is left out`);
      continue;
    }
    cpuUs += s.cpuUs - s.warm.cpuUs;
    cpuTasks += s.acked + s.other - s.warm.settled;
  }
  for (const s of stats) delete s.settleTimes;
  return {
    rate: ((settled - warmup) * 1000) / windowMs,
    cpuUsPerTask: cpuTasks > 0 ? cpuUs / cpuTasks : Number.NaN,
    settled,
    notDone: stats.reduce((sum, s) => sum + s.other, 0),
    windowMs,
    stats,
    warnings,
  };
}
