import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueQueue } from '../lib/broker.js';
import { type BenchPublisher, IMPLS, type Impl, openPublishers } from '../lib/publishers.js';
import { Figures } from '../lib/report.js';
import { linearRegression } from '../lib/stats.js';
import { startWorkers, timeDrain, type WorkerProcess } from '../lib/worker-process.js';
import { TaskNames } from '../workers/task-names.js';
import { checkLines, fmt, type SuiteContext, type SuiteOutput } from './context.js';

interface Sample {
  /** Seconds since consumption started. */
  t: number;
  acked: number;
  rssKb: number;
}

interface SoakResult {
  rate: number;
  startMb: number;
  endMb: number;
  maxMb: number;
  peakMb: number;
  /** KB of RSS per 10,000 tasks, fitted over the second half of the tasks. */
  slopeKbPer10k: number;
  samples: Sample[];
}

/** One worker drains many tasks while its RSS is sampled: does memory grow with tasks done? */
export async function runSoakSuite(ctx: SuiteContext): Promise<SuiteOutput> {
  const tasks = ctx.args.tasks ?? 100_000;
  const rounds = ctx.args.rounds ?? 1;
  const prefetch = ctx.args.prefetch;
  const figures = new Figures();
  const warnings: string[] = [];
  figures.declare('soak_rate', `drain of ${tasks.toLocaleString('en-US')} tasks, 1 worker, prefetch ${prefetch}`, 'tasks/s', 'higher');
  figures.declare('soak_rss_start', 'RSS when consumption starts', 'MB', 'lower');
  figures.declare('soak_rss_end', 'RSS after the last task', 'MB', 'lower');
  figures.declare('soak_rss_max', 'RSS, highest sample', 'MB', 'lower');
  figures.declare('soak_rss_peak', 'peak RSS (VmHWM)', 'MB', 'lower');
  figures.declare('soak_rss_slope', 'RSS slope over the second half', 'KB/10k tasks', 'lower', false);

  const queue = uniqueQueue('soak');
  await ctx.admin.createWorkQueue(queue);
  const publishers = await openPublishers(ctx.url, queue);
  const series: Record<string, Sample[]> = {};
  try {
    for (let round = 1; round <= rounds; round++) {
      const results = {} as Record<Impl, SoakResult>;
      for (const impl of IMPLS) {
        results[impl] = await soakOnce(ctx, publishers[impl], queue, prefetch, tasks, `r${round}-${impl}-soak`, warnings);
        series[`r${round}-${impl}`] = results[impl].samples;
        const r = results[impl];
        ctx.log(
          `round ${round}/${rounds} · ${impl}: ${fmt(r.rate)} tasks/s; RSS start ${fmt(r.startMb, 1)} MB, end ${fmt(r.endMb, 1)}, ` +
            `max ${fmt(r.maxMb, 1)}, slope ${fmt(r.slopeKbPer10k, 0)} KB/10k tasks`,
        );
      }
      figures.add('soak_rate', results.ours.rate, results.amqplib.rate);
      figures.add('soak_rss_start', results.ours.startMb, results.amqplib.startMb);
      figures.add('soak_rss_end', results.ours.endMb, results.amqplib.endMb);
      figures.add('soak_rss_max', results.ours.maxMb, results.amqplib.maxMb);
      figures.add('soak_rss_peak', results.ours.peakMb, results.amqplib.peakMb);
      figures.add('soak_rss_slope', results.ours.slopeKbPer10k, results.amqplib.slopeKbPer10k);
    }
  } finally {
    await Promise.all(Object.values(publishers).map((publisher) => publisher.close()));
  }
  return { figures, warnings, config: { tasks, rounds, prefetch, sampleMs: ctx.args.sampleMs, queue }, extra: { samples: series } };
}

async function soakOnce(
  ctx: SuiteContext,
  publisher: BenchPublisher,
  queue: string,
  prefetch: number,
  tasks: number,
  name: string,
  warnings: string[],
): Promise<SoakResult> {
  const [worker] = await startWorkers([{ impl: publisher.impl, queue, prefetch, url: ctx.url, name, logDir: ctx.logDir, cpuProf: ctx.args.cpuProf }]);
  let result: SoakResult;
  let received = 0;
  let acked = 0;
  try {
    ctx.log(`${name}: publishing ${tasks.toLocaleString('en-US')} tasks`);
    await publisher.bulk(TaskNames.tutorial, tasks, (i) => `Task ${i}`);
    const samples: TimedSample[] = [];
    const sampler = sampleWhile(worker, ctx.args.sampleMs, samples);
    const drain = await timeDrain([worker], tasks);
    await sampler.stop();
    samples.push(await sampleOnce(worker, samples[0]?.t0 ?? performance.now()));
    received = drain.stats[0].received;
    acked = drain.stats[0].acked;
    const secondHalf = samples.filter((s) => s.acked >= tasks / 2).map((s) => ({ x: s.acked, y: s.rssKb }));
    result = {
      rate: drain.rate,
      startMb: samples[0].rssKb / 1024,
      endMb: samples[samples.length - 1].rssKb / 1024,
      maxMb: Math.max(...samples.map((s) => s.rssKb)) / 1024,
      peakMb: worker.memory().vmHwmKb / 1024,
      slopeKbPer10k: linearRegression(secondHalf).slope * 10_000,
      samples: samples.map(({ t, acked, rssKb }) => ({ t: Math.round(t * 100) / 100, acked, rssKb })),
    };
  } finally {
    await worker.stop();
  }
  checkLines(worker, received, acked, warnings);
  return result;
}

type TimedSample = Sample & { t0: number };

async function sampleOnce(worker: WorkerProcess, t0: number): Promise<TimedSample> {
  const { vmRssKb } = worker.memory();
  const { acked } = await worker.stats();
  return { t: (performance.now() - t0) / 1000, acked, rssKb: vmRssKb, t0 };
}

/** Samples RSS and progress every `intervalMs`, starting now (before the first delivery). */
function sampleWhile(worker: WorkerProcess, intervalMs: number, samples: TimedSample[]): { stop(): Promise<void> } {
  let running = true;
  const t0 = performance.now();
  const loop = (async () => {
    while (running) {
      samples.push(await sampleOnce(worker, t0));
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
