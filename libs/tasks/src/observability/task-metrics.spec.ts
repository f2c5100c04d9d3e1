import type { ConsumeMessage } from 'amqplib';
import { TaskMetrics } from './task-metrics.js';

const delivery = (type?: string) => ({ properties: { type } }) as unknown as ConsumeMessage;

/** Runs `count` deliveries of one type through the worker hooks, each done in `ms`. */
function runDone(metrics: TaskMetrics, count: number, type: string | undefined, ms: number): void {
  const hooks = metrics.workerHooks();
  for (let i = 0; i < count; i++) {
    const message = delivery(type);
    hooks.onReceived?.(message);
    hooks.onSettled?.(message, 'done', ms);
  }
}

function value(text: string, line: string): number {
  const match = new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no line '${line}' in:\n${text}`);
  return Number(match[1]);
}

describe('TaskMetrics worker hooks', () => {
  it('counts every done task and its duration at the scrape, past the 1,024-task buffer', async () => {
    const metrics = new TaskMetrics();
    runDone(metrics, 2500, 'resize', 2);
    runDone(metrics, 3, undefined, 20);

    const text = await metrics.registry.metrics();
    expect(value(text, 'tasks_received_total')).toBe(2503);
    expect(value(text, 'tasks_in_flight')).toBe(0);
    expect(value(text, 'tasks_done_total{task="resize"}')).toBe(2500);
    expect(value(text, 'task_duration_seconds_count{task="resize",outcome="done"}')).toBe(2500);
    expect(value(text, 'task_duration_seconds_sum{task="resize",outcome="done"}')).toBeCloseTo(5, 6);
    expect(value(text, 'task_duration_seconds_bucket{le="0.005",task="resize",outcome="done"}')).toBe(2500);
    // A delivery without a type is the tutorial's task.
    expect(value(text, 'tasks_done_total{task="tutorial"}')).toBe(3);
    expect(value(text, 'task_duration_seconds_bucket{le="0.01",task="tutorial",outcome="done"}')).toBe(0);
    expect(value(text, 'task_duration_seconds_bucket{le="0.05",task="tutorial",outcome="done"}')).toBe(3);
  });

  it('adds what happened since the last scrape, once', async () => {
    const metrics = new TaskMetrics();
    runDone(metrics, 10, 'resize', 1);
    await metrics.registry.metrics();
    runDone(metrics, 5, 'resize', 1);

    const text = await metrics.registry.metrics();
    expect(value(text, 'tasks_done_total{task="resize"}')).toBe(15);
    expect(value(text, 'task_duration_seconds_count{task="resize",outcome="done"}')).toBe(15);
  });

  it('counts failures by outcome and times them', async () => {
    const metrics = new TaskMetrics();
    const hooks = metrics.workerHooks();
    hooks.onReceived?.(delivery('resize'));
    hooks.onSettled?.(delivery('resize'), 'retried', 3);
    hooks.onReceived?.(delivery('resize'));
    hooks.onSettled?.(delivery('resize'), 'dead-lettered', 3);

    const text = await metrics.registry.metrics();
    expect(value(text, 'tasks_failed_total{task="resize"}')).toBe(2);
    expect(value(text, 'tasks_retried_total{task="resize"}')).toBe(1);
    expect(value(text, 'tasks_dead_lettered_total{task="resize"}')).toBe(1);
    expect(value(text, 'task_duration_seconds_count{task="resize",outcome="retried"}')).toBe(1);
    expect(text).not.toMatch(/^tasks_done_total\{task="resize"\}/m);
  });
});
