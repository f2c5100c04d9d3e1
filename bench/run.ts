/**
 * `npm run bench -- [--suite default|http|soak|concurrency] [flags]`: this
 * project's publisher and worker against plain amqplib with the same
 * semantics, alternating A B A B. Prints a table and one `BENCH_JSON {...}`
 * line; worker output and a result.json go under bench-results/ (gitignored).
 * See docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { StderrLogger } from '../libs/tasks/src/index.js';
import { HelpRequested, parseArgs, USAGE } from './lib/args.js';
import { BrokerAdmin, brokerUrl } from './lib/broker.js';
import { machineInfo } from './lib/machine.js';
import { BULK_WINDOW } from './lib/publishers.js';
import { renderMarkdown, renderTable } from './lib/report.js';
import { killAllChildren } from './lib/worker-process.js';
import type { SuiteContext, SuiteOutput } from './suites/context.js';
import { runConcurrencySuite } from './suites/concurrency.js';
import { runDefaultSuite } from './suites/default.js';
import { runHttpSuite } from './suites/http.js';
import { runSoakSuite } from './suites/soak.js';

const ROOT = resolve(import.meta.dirname, '../..');

const SUITES = {
  default: runDefaultSuite,
  http: runHttpSuite,
  soak: runSoakSuite,
  concurrency: runConcurrencySuite,
} satisfies Record<string, (ctx: SuiteContext) => Promise<SuiteOutput>>;

/** The bench's amqplib window must be the library's, or the bulk figures compare different things. */
function checkBulkWindow(warnings: string[]): void {
  try {
    const source = readFileSync(join(ROOT, 'libs/tasks/src/publishing/task-publisher.service.ts'), 'utf8');
    const window = Number(/const BULK_WINDOW = (\d+)/.exec(source)?.[1]);
    if (window !== BULK_WINDOW) warnings.push(`BULK_WINDOW is ${window} in task-publisher.service.ts but ${BULK_WINDOW} in the bench`);
  } catch {
    // no sources next to dist: nothing to check
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }

  // TaskPublisher logs through Nest's Logger: keep stdout for the table and the JSON line.
  Logger.overrideLogger(new StderrLogger());
  const startedAt = new Date();
  const url = brokerUrl();
  const admin = await BrokerAdmin.open(url).catch((error: Error) => {
    throw new Error(`cannot reach the broker at ${url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}: ${error.message} (npm run broker starts a local one)`);
  });
  const machine = machineInfo(admin.serverVersion());
  const runDir = resolve(ROOT, args.outDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${args.suite}`);
  mkdirSync(runDir, { recursive: true });
  const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${message}\n`);
  log(`suite ${args.suite}; ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.broker}; load ${machine.loadAverageAtStart}; output in ${runDir}`);

  let interrupted = false;
  const cleanUp = async () => {
    killAllChildren();
    const deleted = await admin.deleteAll();
    if (deleted.length > 0) log(`deleted queues: ${deleted.join(', ')}`);
    await admin.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping workers and deleting the bench queues`);
      cleanUp().finally(() => process.exit(130));
    });
  }

  let output: SuiteOutput;
  try {
    output = await SUITES[args.suite]({ args, url, admin, logDir: runDir, log });
  } catch (error) {
    if (interrupted) return;
    log(`failed: ${(error as Error).stack ?? error}`);
    await cleanUp();
    process.exit(1);
  }
  await cleanUp();

  checkBulkWindow(output.warnings);
  const finishedAt = new Date();
  const summaries = output.figures.summaries();
  const result = {
    suite: args.suite,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    machine: { ...machine, loadAverageAtEnd: Math.round(loadavg()[0] * 100) / 100 },
    config: output.config,
    figures: summaries,
    extra: output.extra,
    warnings: output.warnings,
    outputDir: runDir,
  };
  writeFileSync(join(runDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(runDir, 'table.md'), `${renderMarkdown(summaries)}\n`);

  const lines = [
    '',
    `bench suite '${args.suite}': ours (this project) vs plain amqplib (the ceiling), medians over rounds; ratio = ours/amqplib per round, median`,
    `${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.broker}; load average ${machine.loadAverageAtStart} -> ${result.machine.loadAverageAtEnd}; ${result.durationSeconds} s`,
    '',
    renderTable(summaries),
    '',
    ...output.warnings.map((warning) => `WARNING: ${warning}`),
    `worker output: ${runDir}`,
    `BENCH_JSON ${JSON.stringify(result)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  killAllChildren();
  process.exit(1);
});
