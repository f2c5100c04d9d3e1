/**
 * What a bench worker (ours or plain amqplib) records, and the IPC messages it
 * exchanges with the runner. Both workers use this same probe, so whatever it
 * costs per task is paid alike on both sides.
 */

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The header the runner stamps with `now()` at enqueue time, for the latency figure. */
export const SENT_AT_HEADER = 'x-bench-sent-at';

/** Runner → worker. */
export type WorkerCommand =
  | { cmd: 'go'; warmup: number; recordSettleTimes: boolean }
  | { cmd: 'stats'; id: number; latencies?: boolean; settleTimes?: boolean }
  | { cmd: 'exit' };

export interface WorkerStats {
  /** Deliveries taken from the queue. */
  received: number;
  /** Deliveries acked after their handler returned. */
  acked: number;
  /** Deliveries settled any other way (retried, dead-lettered, left unsettled): should stay 0. */
  other: number;
  /** `now()` at the first delivery; 0 before it. */
  firstDeliveryAt: number;
  /** `now()` right after the latest ack. */
  lastAckAt: number;
  /** Settled deliveries when the warm-up ended (the `warmup` of `go`), and this process's CPU time then, in µs. */
  warm: { settled: number; cpuUs: number } | undefined;
  /** This process's CPU time (user + system) when the stats were taken, in µs. */
  cpuUs: number;
  /** `now()` after each settled delivery, in order, when asked for (and recorded: see `go`). */
  settleTimes?: number[];
  /** Enqueue-to-handler-start latencies in ms, when asked for. */
  latencies?: number[];
}

/** Worker → runner. */
export type WorkerEvent =
  | { event: 'ready' }
  | { event: 'consuming' }
  | ({ event: 'stats'; id: number } & WorkerStats)
  | { event: 'failed'; message: string };

const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

export class BenchProbe {
  private received = 0;
  private acked = 0;
  private other = 0;
  private firstDeliveryAt = 0;
  private lastAckAt = 0;
  /** Settled deliveries after which the warm-up is over (set by `go`). */
  private warmupEnd = 0;
  /** Off for the soak, whose memory figure must not include this list. */
  private recordSettleTimes = false;
  private warm: WorkerStats['warm'];
  private readonly settleTimes: number[] = [];
  private readonly latencies: number[] = [];

  /** The runner's `go`: the first `warmup` settled deliveries are the warm-up. */
  startCounting(warmup: number, recordSettleTimes: boolean): void {
    this.warmupEnd = warmup;
    this.recordSettleTimes = recordSettleTimes;
  }

  /** A delivery arrived. */
  delivered(): void {
    if (this.received++ === 0) {
      this.firstDeliveryAt = now();
      if (this.warmupEnd === 0) this.warm = { settled: 0, cpuUs: cpuUs() };
    }
  }

  /** A delivery was acked (`done`) or settled otherwise. */
  settled(done: boolean): void {
    if (done) this.acked++;
    else this.other++;
    this.lastAckAt = now();
    if (this.recordSettleTimes) this.settleTimes.push(this.lastAckAt);
    if (this.warmupEnd > 0 && this.acked + this.other === this.warmupEnd) {
      this.warm = { settled: this.warmupEnd, cpuUs: cpuUs() };
    }
  }

  /** Called first thing in a latency handler, with the delivery's headers. */
  handlerStarted(headers: Record<string, unknown> | undefined): void {
    const startedAt = now();
    const sentAt = Number(headers?.[SENT_AT_HEADER]);
    if (Number.isFinite(sentAt) && sentAt > 0) this.latencies.push(startedAt - sentAt);
  }

  snapshot(options: { latencies?: boolean; settleTimes?: boolean } = {}): WorkerStats {
    return {
      received: this.received,
      acked: this.acked,
      other: this.other,
      firstDeliveryAt: this.firstDeliveryAt,
      lastAckAt: this.lastAckAt,
      warm: this.warm,
      cpuUs: cpuUs(),
      settleTimes: options.settleTimes ? [...this.settleTimes] : undefined,
      latencies: options.latencies ? [...this.latencies] : undefined,
    };
  }
}

/** Wires a worker process to the runner over the IPC channel `child_process.fork`/`spawn` opened. */
export function serveRunner(probe: BenchProbe, handlers: { go(): Promise<void>; exit(): Promise<void> }): void {
  const send = (message: WorkerEvent) => process.send?.(message);
  process.on('message', (message: WorkerCommand) => {
    if (message.cmd === 'go') {
      probe.startCounting(message.warmup, message.recordSettleTimes);
      handlers.go().then(
        () => send({ event: 'consuming' }),
        (error: Error) => send({ event: 'failed', message: error.message }),
      );
    } else if (message.cmd === 'stats') {
      send({ event: 'stats', id: message.id, ...probe.snapshot(message) });
    } else if (message.cmd === 'exit') {
      handlers.exit().finally(() => process.exit(0));
    }
  });
  // The runner died: do not linger as an orphan holding a consumer.
  process.on('disconnect', () => process.exit(0));
}

export function reportReady(): void {
  process.send?.({ event: 'ready' } satisfies WorkerEvent);
}

/** Tells the runner why the worker cannot run, then exits 1. */
export function reportFailure(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`bench worker: ${message}\n`);
  process.send?.({ event: 'failed', message } satisfies WorkerEvent, undefined, undefined, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000);
}
