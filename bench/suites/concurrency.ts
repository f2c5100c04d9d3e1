import { uniqueQueue } from '../lib/broker.js';
import { IMPLS, type Impl, openPublishers } from '../lib/publishers.js';
import { Figures } from '../lib/report.js';
import { startWorkers, timeDrain } from '../lib/worker-process.js';
import type { WorkerStats } from '../workers/probe.js';
import { SLEEP_MS, TaskNames } from '../workers/task-names.js';
import { checkLines, fmt, type SuiteContext, type SuiteOutput } from './context.js';

const PREFETCHES = [1, 10, 50] as const;

/**
 * Tasks whose handler awaits a 10 ms timer: how much one worker process gains
 * from running several at once (PREFETCH_COUNT 1, 10, 50). The ideal is
 * 100 x prefetch tasks/s, until the CPU is the limit.
 */
export async function runConcurrencySuite(ctx: SuiteContext): Promise<SuiteOutput> {
  const rounds = ctx.args.rounds ?? 2;
  const tasksFor = (prefetch: number) => ctx.args.tasks ?? 200 * prefetch;
  const figures = new Figures();
  const warnings: string[] = [];
  for (const p of PREFETCHES) figures.declare(`sleep_p${p}`, `10 ms tasks, 1 worker, prefetch ${p}`, 'tasks/s', 'higher');
  for (const p of PREFETCHES.slice(1)) figures.declare(`gain_p${p}`, `gain of prefetch ${p} over prefetch 1`, 'x', 'higher');

  const queue = uniqueQueue('concurrency');
  await ctx.admin.createWorkQueue(queue);
  const publishers = await openPublishers(ctx.url, queue);
  try {
    for (const impl of IMPLS) await publishers[impl].bulk(TaskNames.sleep, 1000, String);
    await ctx.admin.purge(queue);

    for (let round = 1; round <= rounds; round++) {
      const rates = {} as Record<number, Record<Impl, number>>;
      for (const prefetch of PREFETCHES) {
        rates[prefetch] = {} as Record<Impl, number>;
        for (const impl of IMPLS) {
          const tasks = tasksFor(prefetch);
          const [worker] = await startWorkers([
            { impl, queue, prefetch, url: ctx.url, name: `r${round}-${impl}-sleep-p${prefetch}`, logDir: ctx.logDir, cpuProf: ctx.args.cpuProf },
          ]);
          let stats: WorkerStats | undefined;
          try {
            await publishers[impl].bulk(TaskNames.sleep, tasks, (i) => `Sleep ${i}`);
            const drain = await timeDrain([worker], tasks);
            stats = drain.stats[0];
            rates[prefetch][impl] = drain.rate;
            if (drain.notDone > 0) warnings.push(`${impl} prefetch ${prefetch}: ${drain.notDone} tasks not acked as done`);
          } finally {
            await worker.stop();
          }
          if (stats) checkLines(worker, stats.received, stats.acked, warnings);
          ctx.log(`round ${round}/${rounds} · prefetch ${prefetch} · ${impl}: ${fmt(rates[prefetch][impl])} tasks/s (ideal ${fmt((1000 / SLEEP_MS) * prefetch)})`);
        }
        figures.add(`sleep_p${prefetch}`, rates[prefetch].ours, rates[prefetch].amqplib);
      }
      for (const p of PREFETCHES.slice(1)) {
        figures.add(`gain_p${p}`, rates[p].ours / rates[1].ours, rates[p].amqplib / rates[1].amqplib);
      }
    }
  } finally {
    await Promise.all(Object.values(publishers).map((publisher) => publisher.close()));
  }
  return {
    figures,
    warnings,
    config: { rounds, sleepMs: SLEEP_MS, prefetches: PREFETCHES, tasks: Object.fromEntries(PREFETCHES.map((p) => [p, tasksFor(p)])), queue },
  };
}
