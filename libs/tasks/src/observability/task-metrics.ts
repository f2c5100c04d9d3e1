import { Injectable } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskOutcome, TaskWorkerHooks } from '../consuming/task-worker.server.js';
import { TutorialTask } from '../contract/tutorial-task.js';

/** Which side of the queue a connection belongs to. */
export type BrokerRole = 'publisher' | 'worker';

/**
 * The Prometheus metrics of the task queue, in a registry of their own (so two
 * apps in one process, as in tests, never clash), plus Node's default metrics.
 * Also the one place that knows whether the broker connections are up, which
 * `/health` reads.
 */
@Injectable()
export class TaskMetrics {
  readonly registry = new Registry();

  /**
   * The hot path (every delivery) only bumps these plain numbers; they are
   * handed to prom-client when /metrics is scraped.
   */
  private readonly hot = { received: 0, inFlight: 0, done: new Map<string, DoneTally>() };

  private readonly received = new Counter({
    name: 'tasks_received_total',
    help: 'Deliveries taken from the work queue.',
    registers: [this.registry],
    collect: () => this.flushHot(),
  });
  private readonly done = new Counter({
    name: 'tasks_done_total',
    help: 'Tasks whose handler returned, acked.',
    labelNames: ['task'],
    registers: [this.registry],
    collect: () => this.flushHot(),
  });
  private readonly failed = this.counter('tasks_failed_total', 'Handler runs that threw.');
  private readonly retried = this.counter('tasks_retried_total', 'Failed tasks moved to a retry queue.');
  private readonly deadLettered = this.counter('tasks_dead_lettered_total', 'Tasks moved to the dead-letter queue, failed or malformed.');
  private readonly enqueued = this.counter('tasks_enqueued_total', 'Tasks published and confirmed by the broker.');
  private readonly rejected = this.counter('tasks_rejected_total', 'Tasks whose publish was not confirmed.');
  private readonly duration = new Histogram({
    name: 'task_duration_seconds',
    help: 'How long handlers ran.',
    labelNames: ['task', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
    collect: () => this.flushHot(),
  });
  private readonly confirmLatency = new Histogram({
    name: 'task_publish_confirm_seconds',
    help: 'From publish to the broker confirm.',
    labelNames: ['task'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly inFlight = new Gauge({
    name: 'tasks_in_flight',
    help: 'Deliveries held by this worker now.',
    registers: [this.registry],
    collect: () => this.flushHot(),
  });
  private readonly brokerUp = new Gauge({
    name: 'broker_connection_up',
    help: '1 while the broker connection (and, for a worker, its consumer) is up.',
    labelNames: ['role'],
    registers: [this.registry],
  });
  private readonly connections = new Map<BrokerRole, boolean>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setBrokerConnected(role: BrokerRole, up: boolean): void {
    this.connections.set(role, up);
    this.brokerUp.set({ role }, up ? 1 : 0);
  }

  /** True when every connection this process opened is up (and at least one was). */
  isBrokerConnected(): boolean {
    return this.connections.size > 0 && [...this.connections.values()].every(Boolean);
  }

  brokerConnections(): Record<string, 'up' | 'down'> {
    return Object.fromEntries([...this.connections].map(([role, up]) => [role, up ? 'up' : 'down']));
  }

  recordEnqueued(task: string, seconds: number): void {
    this.enqueued.inc({ task });
    this.confirmLatency.observe({ task }, seconds);
  }

  recordRejected(task: string): void {
    this.rejected.inc({ task });
  }

  /** Hooks for `TaskWorkerServer` that feed the worker's metrics and health. */
  workerHooks(): TaskWorkerHooks {
    const { hot } = this;
    // Most workers handle one task type: remember the last one instead of looking it up each time.
    let lastType: unknown;
    let lastTally: DoneTally | undefined;
    const tallyOf = (type: unknown): DoneTally => {
      if (type === lastType && lastTally) return lastTally;
      const task = taskLabel(type);
      let tally = hot.done.get(task);
      if (!tally) hot.done.set(task, (tally = new DoneTally(this.duration.labels(task, 'done'))));
      lastType = type;
      lastTally = tally;
      return tally;
    };
    return {
      onReceived: () => {
        hot.received++;
        hot.inFlight++;
      },
      onSettled: (message: ConsumeMessage, outcome: TaskOutcome, durationMs: number) => {
        hot.inFlight--;
        if (outcome === 'done') {
          tallyOf(message.properties.type).record(durationMs / 1000);
          return;
        }
        const task = taskLabel(message.properties.type);
        if (outcome === 'retried') {
          this.failed.inc({ task });
          this.retried.inc({ task });
        } else if (outcome === 'dead-lettered') {
          this.failed.inc({ task });
          this.deadLettered.inc({ task });
        } else if (outcome === 'malformed') this.deadLettered.inc({ task });
        if (outcome !== 'malformed' && outcome !== 'unsettled') this.duration.observe({ task, outcome }, durationMs / 1000);
      },
      onConsumingChanged: (consuming: boolean) => this.setBrokerConnected('worker', consuming),
    };
  }

  /** Moves the hot-path counts into prom-client; runs at each scrape. */
  private flushHot(): void {
    const { hot } = this;
    if (hot.received > 0) this.received.inc(hot.received);
    hot.received = 0;
    this.inFlight.set(hot.inFlight);
    for (const [task, tally] of hot.done) {
      if (tally.count > 0) this.done.inc({ task }, tally.count);
      tally.count = 0;
      tally.replay();
    }
  }

  private counter(name: string, help: string): Counter<'task'> {
    return new Counter({ name, help, labelNames: ['task'], registers: [this.registry] });
  }
}

/** The task label of a delivery: its type, or the default (tutorial) task's name. */
function taskLabel(type: unknown): string {
  return String(type ?? TutorialTask.name);
}

/**
 * Done tasks of one type since the last scrape. Durations wait in a small
 * buffer and go into the prom-client histogram at the scrape (or when the
 * buffer is full), off the path between a delivery and its ack.
 */
class DoneTally {
  count = 0;
  private readonly durations = new Float64Array(1024);
  private pending = 0;

  constructor(private readonly histogram: Histogram.Internal<string>) {}

  record(seconds: number): void {
    this.count++;
    this.durations[this.pending++] = seconds;
    if (this.pending === this.durations.length) this.replay();
  }

  replay(): void {
    const count = this.pending;
    // Emptied first: one value prom-client refuses must not wedge the buffer.
    this.pending = 0;
    for (let i = 0; i < count; i++) this.histogram.observe(this.durations[i]);
  }
}
