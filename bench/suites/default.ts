import { uniqueQueue } from '../lib/broker.js';
import { type BenchPublisher, IMPLS, type Impl, openPublishers } from '../lib/publishers.js';
import { Figures } from '../lib/report.js';
import { quantile } from '../lib/stats.js';
import { startWorkers, timeDrain, waitForSettled } from '../lib/worker-process.js';
import type { WorkerStats } from '../workers/probe.js';
import { TaskNames } from '../workers/task-names.js';
import { checkLines, fmt, type SuiteContext, type SuiteOutput } from './context.js';

interface Setting {
  workers: number;
  prefetch: number;
}

interface SettingResult {
  bootMs: number;
  bulkRate: number;
  drainRate: number;
  cpuUsPerTask: number;
  p50: number;
  p95: number;
  p99: number;
  peakRssMb: number;
}

/** Task texts have no dots: the tutorial handler does no simulated work. */
const taskText = (i: number) => `Task ${i}`;
const latencyText = (i: number) => `Latency ${i}`;

/**
 * The main comparison. Per round: publish one at a time (ours, then amqplib),
 * then for each setting (1 or 2 workers, prefetch 1 or high): ours, then amqplib.
 * Each of those: start the workers (idle), publish N tasks in bulk (the bulk
 * publish figure), start consuming and time the drain from first delivery to
 * last ack, then a paced latency phase, then read each worker's VmHWM.
 */
export async function runDefaultSuite(ctx: SuiteContext): Promise<SuiteOutput> {
  const { args } = ctx;
  const tasks = args.tasks ?? 4000;
  const warmupTasks = args.warmupTasks;
  const rounds = args.rounds ?? 2;
  const latencyCount = Math.max(1, Math.round(args.latencyRate * args.latencySeconds));
  const settings: Setting[] = [
    { workers: 1, prefetch: 1 },
    { workers: 1, prefetch: args.prefetch },
    { workers: 2, prefetch: 1 },
    { workers: 2, prefetch: args.prefetch },
  ];
  const figures = new Figures();
  const warnings: string[] = [];
  const queue = uniqueQueue('default');
  await ctx.admin.createWorkQueue(queue);
  const publishers = await openPublishers(ctx.url, queue);
  figures.declare('publish_single', 'publish with confirm, one at a time', 'msg/s', 'higher');
  figures.declare('publish_bulk', 'publish with confirms, pipelined (window 512)', 'msg/s', 'higher');
  for (const s of settings) figures.declare(`e2e_${keyOf(s)}`, `end-to-end drain, ${describe(s)}`, 'tasks/s', 'higher');
  for (const s of settings) figures.declare(`cpu_${keyOf(s)}`, `worker CPU per task, ${describe(s)}`, 'µs', 'lower');
  for (const p of PERCENTILES) {
    for (const s of settings) figures.declare(`latency_${p}_${keyOf(s)}`, `latency ${p}, ${describe(s)}`, 'ms', 'lower');
  }
  for (const s of settings) figures.declare(`peak_rss_${keyOf(s)}`, `worker peak RSS (VmHWM), ${describe(s)}`, 'MB', 'lower');
  figures.declare('boot_ms', 'worker start to ready, 1 worker (not in any figure above)', 'ms', 'lower');

  try {
    // Warm both publishers (connections, channel setup, JIT) before anything is timed.
    for (const impl of IMPLS) {
      await publishers[impl].single(TaskNames.tutorial, 100, taskText);
      await publishers[impl].bulk(TaskNames.tutorial, 2000, taskText);
    }
    await ctx.admin.purge(queue);

    for (let round = 1; round <= rounds; round++) {
      // A B in odd rounds, B A in even ones: whatever favours the first (or second) of a pair hits both alike.
      const order = round % 2 === 1 ? IMPLS : [...IMPLS].reverse();
      const single = {} as Record<Impl, number>;
      for (const impl of order) {
        single[impl] = await publishers[impl].single(TaskNames.tutorial, args.single, taskText);
        await ctx.admin.purge(queue);
        ctx.log(`round ${round}/${rounds} · ${impl}: ${fmt(single[impl])} publishes/s one at a time`);
      }
      figures.add('publish_single', single.ours, single.amqplib);

      for (const setting of settings) {
        const result = {} as Record<Impl, SettingResult>;
        for (const impl of order) {
          result[impl] = await runSetting(ctx, publishers[impl], queue, setting, round, tasks, warmupTasks, latencyCount, warnings);
          const r = result[impl];
          ctx.log(
            `round ${round}/${rounds} · ${describe(setting)} · ${impl}: boot ${fmt(r.bootMs)} ms, bulk ${fmt(r.bulkRate)}/s, drain ${fmt(r.drainRate)} tasks/s, ` +
              `latency p50 ${fmt(r.p50, 2)} p99 ${fmt(r.p99, 2)} ms, peak RSS ${fmt(r.peakRssMb, 1)} MB`,
          );
        }
        const key = keyOf(setting);
        figures.add('publish_bulk', result.ours.bulkRate, result.amqplib.bulkRate);
        figures.add(`e2e_${key}`, result.ours.drainRate, result.amqplib.drainRate);
        figures.add(`cpu_${key}`, result.ours.cpuUsPerTask, result.amqplib.cpuUsPerTask);
        for (const p of PERCENTILES) figures.add(`latency_${p}_${key}`, result.ours[p], result.amqplib[p]);
        figures.add(`peak_rss_${key}`, result.ours.peakRssMb, result.amqplib.peakRssMb);
        if (setting.workers === 1) figures.add('boot_ms', result.ours.bootMs, result.amqplib.bootMs);
      }
    }
  } finally {
    await Promise.all(Object.values(publishers).map((publisher) => publisher.close()));
  }
  return {
    figures,
    warnings,
    config: {
      tasks,
      warmupTasks,
      rounds,
      single: args.single,
      settings,
      latencyRate: args.latencyRate,
      latencySeconds: args.latencySeconds,
      latencyTasks: latencyCount,
      bulkWindow: 512,
      queue,
    },
  };
}

const PERCENTILES = ['p50', 'p95', 'p99'] as const;

const keyOf = (setting: Setting) => `w${setting.workers}_p${setting.prefetch}`;

function describe(setting: Setting): string {
  return `${setting.workers} worker${setting.workers > 1 ? 's' : ''}, prefetch ${setting.prefetch}`;
}

async function runSetting(
  ctx: SuiteContext,
  publisher: BenchPublisher,
  queue: string,
  setting: Setting,
  round: number,
  tasks: number,
  warmupTasks: number,
  latencyCount: number,
  warnings: string[],
): Promise<SettingResult> {
  const impl = publisher.impl;
  const workers = await startWorkers(
    Array.from({ length: setting.workers }, (_, i) => ({
      impl,
      queue,
      prefetch: setting.prefetch,
      url: ctx.url,
      name: `r${round}-${impl}-w${setting.workers}-p${setting.prefetch}-${i + 1}`,
      logDir: ctx.logDir,
      cpuProf: ctx.args.cpuProf,
    })),
  );
  let stats: WorkerStats[] = [];
  let result: SettingResult;
  try {
    const drained = warmupTasks + tasks;
    const bulkRate = await publisher.bulk(TaskNames.tutorial, drained, taskText);
    const drain = await timeDrain(workers, drained, warmupTasks);
    warnings.push(...drain.warnings.map((warning) => `${impl} ${describe(setting)}: ${warning}`));
    if (drain.notDone > 0) warnings.push(`${impl} ${describe(setting)}: ${drain.notDone} tasks not acked as done`);

    await publisher.paced(TaskNames.latency, ctx.args.latencyRate, latencyCount, latencyText);
    await waitForSettled(workers, drained + latencyCount);
    stats = await Promise.all(workers.map((worker) => worker.stats({ latencies: true })));
    const latencies = stats.flatMap((s) => s.latencies ?? []);
    if (latencies.length !== latencyCount) warnings.push(`${impl} ${describe(setting)}: ${latencies.length} latency samples of ${latencyCount}`);
    const peakKb = Math.max(...workers.map((worker) => worker.memory().vmHwmKb));
    result = {
      bootMs: Math.max(...workers.map((worker) => worker.bootMs)),
      bulkRate,
      drainRate: drain.rate,
      cpuUsPerTask: drain.cpuUsPerTask,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
      peakRssMb: peakKb / 1024,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
  workers.forEach((worker, i) => checkLines(worker, stats[i].received, stats[i].acked, warnings));
  const { ready } = await ctx.admin.counts(queue);
  if (ready !== 0) {
    warnings.push(`${impl} ${describe(setting)}: ${ready} tasks left in the queue`);
    await ctx.admin.purge(queue);
  }
  return result;
}

