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
export type WorkerCommand = { cmd: 'go' } | { cmd: 'stats'; id: number; latencies?: boolean } | { cmd: 'exit' };

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
  /** Enqueue-to-handler-start latencies in ms, when asked for. */
  latencies?: number[];
}

/** Worker → runner. */
export type WorkerEvent =
  | { event: 'ready' }
  | { event: 'consuming' }
  | ({ event: 'stats'; id: number } & WorkerStats)
  | { event: 'failed'; message: string };

export class BenchProbe {
  private received = 0;
  private acked = 0;
  private other = 0;
  private firstDeliveryAt = 0;
  private lastAckAt = 0;
  private readonly latencies: number[] = [];

  /** A delivery arrived. */
  delivered(): void {
    if (this.received++ === 0) this.firstDeliveryAt = now();
  }

  /** A delivery was acked (`done`) or settled otherwise. */
  settled(done: boolean): void {
    if (done) this.acked++;
    else this.other++;
    this.lastAckAt = now();
  }

  /** Called first thing in a latency handler, with the delivery's headers. */
  handlerStarted(headers: Record<string, unknown> | undefined): void {
    const startedAt = now();
    const sentAt = Number(headers?.[SENT_AT_HEADER]);
    if (Number.isFinite(sentAt) && sentAt > 0) this.latencies.push(startedAt - sentAt);
  }

  snapshot(withLatencies = false): WorkerStats {
    return {
      received: this.received,
      acked: this.acked,
      other: this.other,
      firstDeliveryAt: this.firstDeliveryAt,
      lastAckAt: this.lastAckAt,
      latencies: withLatencies ? [...this.latencies] : undefined,
    };
  }
}

/** Wires a worker process to the runner over the IPC channel `child_process.fork`/`spawn` opened. */
export function serveRunner(probe: BenchProbe, handlers: { go(): Promise<void>; exit(): Promise<void> }): void {
  const send = (message: WorkerEvent) => process.send?.(message);
  process.on('message', (message: WorkerCommand) => {
    if (message.cmd === 'go') {
      handlers.go().then(
        () => send({ event: 'consuming' }),
        (error: Error) => send({ event: 'failed', message: error.message }),
      );
    } else if (message.cmd === 'stats') {
      send({ event: 'stats', id: message.id, ...probe.snapshot(message.latencies) });
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
