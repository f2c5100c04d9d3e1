/** Command-line flags of `npm run bench -- ...`. */

export type SuiteName = 'default' | 'http' | 'soak' | 'concurrency';

export interface BenchArgs {
  suite: SuiteName;
  /** Tasks per drain (default suite), per soak, or per concurrency step (`undefined`: the suite's default). */
  tasks?: number;
  /** Default suite: tasks each drain starts with, untimed, before its `tasks` timed ones. */
  warmupTasks: number;
  rounds?: number;
  /** Publishes timed one at a time, per round. */
  single: number;
  /** The higher prefetch of the default suite and the soak's prefetch. */
  prefetch: number;
  latencyRate: number;
  latencySeconds: number;
  /** HTTP suite: seconds of load per run, seconds of warm-up, connections. */
  duration: number;
  warmup: number;
  connections: number;
  /** Soak: RSS sampling interval. */
  sampleMs: number;
  /** Write V8 CPU profiles of the worker processes (both sides) into the results folder. */
  cpuProf: boolean;
  outDir: string;
}

export const USAGE = `usage: npm run bench -- [--suite default|http|soak|concurrency] [options]

  default      publish rates, end-to-end drain rate, latency and peak RSS, ours vs plain amqplib
               (1 and 2 workers, prefetch 1 and --prefetch), alternating A B A B
    --tasks N             timed tasks per drain (default 4000)
    --warmup-tasks N      untimed tasks each drain starts with, so both sides are measured warm (default 5000)
    --rounds N            rounds (default 2)
    --single N            publishes timed one at a time per round (default 1000)
    --prefetch N          the higher prefetch (default 20)
    --latency-rate N      tasks/s of the latency phase (default 300)
    --latency-seconds S   length of the latency phase (default 1.5)
  http         the built producer under autocannon (POST /tasks, keep-alive), vs a plain node:http + amqplib server
    --duration S          seconds per run (default 10), --warmup S (default 2), --connections N (default 50)
    --rounds N            (default 1)
  soak         one worker drains --tasks (default 100000) while its RSS is sampled (--sample-ms 500)
    --prefetch N          (default 20), --rounds N (default 1)
  concurrency  tasks that await a 10 ms timer, one worker at prefetch 1, 10 and 50
    --tasks N             tasks per step (default 200 x prefetch), --rounds N (default 2)

  --cpu-prof   write V8 CPU profiles of the worker processes (both sides) to the results folder
  --out DIR    where worker output and results go (default bench-results)`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    suite: 'default',
    warmupTasks: 5000,
    single: 1000,
    prefetch: 20,
    latencyRate: 300,
    latencySeconds: 1.5,
    duration: 10,
    warmup: 2,
    connections: 50,
    sampleMs: 500,
    cpuProf: false,
    outDir: 'bench-results',
  };
  const positive = (name: string, value: string | undefined): number => {
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number) || number <= 0) {
      throw new Error(`${name} takes a positive number (got ${value ?? 'nothing'})\n${USAGE}`);
    }
    return number;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case '--suite': {
        const suite = value();
        if (!['default', 'http', 'soak', 'concurrency'].includes(suite)) throw new Error(`unknown suite '${suite}'\n${USAGE}`);
        args.suite = suite as SuiteName;
        break;
      }
      case '--tasks':
        args.tasks = Math.round(positive(flag, value()));
        break;
      case '--warmup-tasks': {
        const warmupTasks = Number(value());
        if (!Number.isInteger(warmupTasks) || warmupTasks < 0) {
          throw new Error(`--warmup-tasks takes a whole number of 0 or more (got ${argv[i] ?? 'nothing'})\n${USAGE}`);
        }
        args.warmupTasks = warmupTasks;
        break;
      }
      case '--rounds':
        args.rounds = Math.round(positive(flag, value()));
        break;
      case '--single':
        args.single = Math.round(positive(flag, value()));
        break;
      case '--prefetch':
        args.prefetch = Math.round(positive(flag, value()));
        break;
      case '--latency-rate':
        args.latencyRate = positive(flag, value());
        break;
      case '--latency-seconds':
        args.latencySeconds = positive(flag, value());
        break;
      case '--duration':
        args.duration = positive(flag, value());
        break;
      case '--warmup':
        args.warmup = Number(value());
        break;
      case '--connections':
        args.connections = Math.round(positive(flag, value()));
        break;
      case '--sample-ms':
        args.sampleMs = positive(flag, value());
        break;
      case '--cpu-prof':
        args.cpuProf = true;
        break;
      case '--out':
        args.outDir = value();
        break;
      case '--help':
      case '-h':
        throw new HelpRequested();
      default:
        throw new Error(`unknown flag '${flag}'\n${USAGE}`);
    }
  }
  return args;
}

export class HelpRequested extends Error {}
