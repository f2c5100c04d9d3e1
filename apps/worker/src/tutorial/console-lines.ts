import sonicBoom from 'sonic-boom';

// A CommonJS package: its class is a property of the default export.
const { SonicBoom } = sonicBoom;

/** How long a line may wait in the buffer when stdout is a file or a pipe. */
export const CONSOLE_FLUSH_MS = 10;
/** A buffer this full is written at once (sonic-boom wants it under its 16 KiB write size). */
const BUFFER_BYTES = 4096;

let stdout: InstanceType<typeof SonicBoom> | undefined;

/**
 * Writes one of the worker's stdout lines (` [*] Waiting…`, ` [x] Received…`,
 * ` [x] Done`), the way Python's print does in the tutorial's worker.py:
 * - on a terminal, each line at once;
 * - to a file or a pipe, gathered and written together every
 *   {@link CONSOLE_FLUSH_MS} ms (or at 4 KiB), and at exit.
 *
 * Why: on a busy host two blocking writes per task were the largest cost of a
 * fast task (about 40 µs of every task's round trip at prefetch 1; see
 * docs/benchmarks.md). Lines keep their order. A process killed with -9 can
 * lose its last few milliseconds of lines, never a task.
 */
export function printLine(line: string): void {
  (stdout ??= openStdout()).write(`${line}\n`);
}

function openStdout(): InstanceType<typeof SonicBoom> {
  const buffered = !process.stdout.isTTY;
  const stream = new SonicBoom({
    fd: process.stdout.fd,
    sync: true,
    minLength: buffered ? BUFFER_BYTES : 0,
    periodicFlush: buffered ? CONSOLE_FLUSH_MS : 0,
  });
  // process.exit() skips timers: write what is left on the way out.
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // stdout is gone (a closed pipe): nothing left to write to.
    }
  });
  return stream;
}
