import type { RunningProcess } from './processes.js';

/**
 * Reads what workers did from their tutorial lines. A worker with prefetch 1
 * prints ` [x] Received 'text'` then ` [x] Done` for each task, so a Received
 * followed by Done in the same process is one task done.
 */
export function tasksDone(workers: RunningProcess[]): Map<string, number> {
  const done = new Map<string, number>();
  for (const worker of workers) {
    let current: string | undefined;
    for (const line of worker.lines) {
      const received = /^ \[x\] Received '(.*)'$/.exec(line);
      if (received) current = received[1];
      else if (line === ' [x] Done' && current !== undefined) {
        done.set(current, (done.get(current) ?? 0) + 1);
        current = undefined;
      }
    }
  }
  return done;
}

export interface ChaosCounts {
  published: number;
  confirmed: number;
  done: number;
  duplicates: number;
  lost: number;
}

/** Counts confirmed tasks against what the workers did, and prints the figures. */
export function countChaos(label: string, published: number, confirmed: readonly string[], done: Map<string, number>): ChaosCounts {
  let duplicates = 0;
  let lost = 0;
  for (const text of confirmed) {
    const times = done.get(text) ?? 0;
    if (times === 0) lost++;
    else duplicates += times - 1;
  }
  const counts = { published, confirmed: confirmed.length, done: confirmed.length - lost, duplicates, lost };
  process.stdout.write(
    `${label}: published ${counts.published}, confirmed ${counts.confirmed}, done ${counts.done}, duplicates ${counts.duplicates}, lost ${counts.lost}\n`,
  );
  return counts;
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
