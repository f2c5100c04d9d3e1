import type { BenchArgs } from '../lib/args.js';
import type { BrokerAdmin } from '../lib/broker.js';
import type { Figures } from '../lib/report.js';
import { type WorkerProcess } from '../lib/worker-process.js';

export interface SuiteContext {
  args: BenchArgs;
  url: string;
  admin: BrokerAdmin;
  /** Where worker stdout/stderr files go. */
  logDir: string;
  /** Progress, on stderr. */
  log(message: string): void;
}

export interface SuiteOutput {
  figures: Figures;
  /** The settings the suite ran with, for the JSON line. */
  config: Record<string, unknown>;
  /** Problems found by the sanity checks (lost tasks, missing lines...). */
  warnings: string[];
  /** Suite-specific extra data for the JSON line. */
  extra?: Record<string, unknown>;
}

/**
 * After a worker stopped: its stdout holds one ` [x] Received` per delivery
 * and one ` [x] Done` per acked task, as the tutorial's worker prints them.
 */
export function checkLines(worker: WorkerProcess, received: number, acked: number, warnings: string[]): void {
  const receivedLines = worker.countLines(' [x] Received ');
  const doneLines = worker.countLines(' [x] Done');
  if (receivedLines !== received || doneLines !== acked) {
    warnings.push(
      `${worker.spec.name}: ${receivedLines} Received / ${doneLines} Done lines for ${received} deliveries / ${acked} acks (${worker.stdoutFile})`,
    );
  }
}

export const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
