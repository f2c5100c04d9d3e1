import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';

const STDOUT_FD = 1;
/** How long a line may wait in the buffer when stdout is a file or a pipe. */
export const CONSOLE_FLUSH_MS = 50;
/** A buffer this long (in characters) is written at once. */
const BUFFER_CHARS = 8192;

let buffered: boolean | undefined;
let pending = '';
let flushTimer: NodeJS.Timeout | undefined;
let stdoutGone = false;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes one of the worker's stdout lines (` [*] Waiting…`, ` [x] Received…`,
 * ` [x] Done`), the way Python's print does in the tutorial's worker.py:
 * - on a terminal, each line at once;
 * - to a file or a pipe, gathered and written together
 *   {@link CONSOLE_FLUSH_MS} ms after the first of them (or at 8,192
 *   characters, Python's buffer size), and at exit.
 *
 * Why: on a busy host two blocking writes per task were the largest cost of a
 * fast task (about 40 µs of every task's round trip at prefetch 1; see
 * docs/benchmarks.md). The timer is not free either: at 10 ms it cost about
 * 2 µs per task on a busy worker, at 50 ms a fifth of that. Lines keep their
 * order. A process killed with -9 can lose its last 50 ms of lines, never a task.
 *
 * Hand-written rather than sonic-boom: its `flushSync()`, the way to write the
 * rest at exit, retries forever once the reader of a pipe is gone (EPIPE), and
 * its periodic flush writes an empty string 100 times a second when idle.
 */
export function printLine(line: string): void {
  if (stdoutGone) return;
  buffered ??= startBuffering();
  if (!buffered) {
    writeAll(`${line}\n`);
    return;
  }
  pending += `${line}\n`;
  if (pending.length >= BUFFER_CHARS) flushLines();
  // A timer only while lines wait: an idle worker does not wake up to write nothing.
  else flushTimer ??= setTimeout(flushLines, CONSOLE_FLUSH_MS).unref();
}

/** Writes the lines that wait, now. */
export function flushLines(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending === '') return;
  const text = pending;
  pending = '';
  writeAll(text);
}

function startBuffering(): boolean {
  const terminal = isatty(STDOUT_FD);
  if (!terminal) {
    // process.exit() skips timers: write what is left on the way out, and
    // whatever later 'exit' listeners print, at once.
    process.once('exit', () => {
      buffered = false;
      flushLines();
    });
  }
  return !terminal;
}

/**
 * Writes all of `text`. A full pipe is waited out (as a blocking stdout would
 * be); a reader that went away stops the lines for good; any other error
 * drops this text and is reported once.
 */
function writeAll(text: string): void {
  let bytes = Buffer.from(text);
  while (bytes.length > 0 && !stdoutGone) {
    try {
      bytes = bytes.subarray(writeSync(STDOUT_FD, bytes));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE' || code === 'EBADF') {
        // Whoever read stdout went away (a closed pipe): the lines are lost, the tasks go on.
        stdoutGone = true;
        pending = '';
        reportOnce(`stdout is gone (${(error as Error).message}); not printing task lines`);
      } else {
        reportOnce(`could not print task lines (${(error as Error).message})`);
      }
      return;
    }
  }
}

let reported = false;

/** One line on stderr, straight to the descriptor: stderr may be the same closed pipe, and must not throw. */
function reportOnce(message: string): void {
  if (reported) return;
  reported = true;
  try {
    writeSync(2, `worker: ${message}\n`);
  } catch {
    // stderr is gone too: nothing left to tell.
  }
}
