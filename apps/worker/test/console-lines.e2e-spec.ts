import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunningProcess } from '../../../test/support/processes.js';

/** The built line writer the worker prints through (stdout is a pipe here, so it buffers). */
const CONSOLE_LINES = pathToFileURL(resolve(import.meta.dirname, '../../../dist/apps/worker/src/tutorial/console-lines.js')).href;

/**
 * Runs a small ES module that imports `printLine`, with stdout piped to the
 * test; `stderrToStdout` sends its stderr down the same pipe (`2>&1`).
 */
function runScript(body: string, { stderrToStdout = false } = {}): RunningProcess {
  const script = `import { printLine } from ${JSON.stringify(CONSOLE_LINES)};\n${body}`;
  const args = ['--input-type=module', '-e', script];
  const child = stderrToStdout
    ? spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new RunningProcess(child);
}

/** Prints a line every 5 ms, 100 in all, then exits 0. */
const PRINT_100_LINES = `
  let n = 0;
  const timer = setInterval(() => {
    printLine('line ' + n);
    if (++n === 100) {
      clearInterval(timer);
      process.exit(0);
    }
  }, 5);
`;

describe('the worker console lines (buffered when stdout is not a terminal)', () => {
  it('writes every buffered line, in order, when the process exits at once', async () => {
    const child = runScript(`
      for (let i = 0; i < 500; i++) printLine(' [x] Received ' + "'task " + i + "'");
      printLine(' [x] Done');
      process.exit(0);
    `);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toHaveLength(501);
    expect(child.lines[0]).toBe(" [x] Received 'task 0'");
    expect(child.lines[499]).toBe(" [x] Received 'task 499'");
    expect(child.lines[500]).toBe(' [x] Done');
  });

  it('writes lines within milliseconds while the process keeps running', async () => {
    // The process stays up (an interval) and prints nothing more: only the periodic flush can deliver the lines.
    const child = runScript(`
      printLine(" [x] Received 'still running'");
      printLine(' [x] Done');
      setInterval(() => undefined, 60_000);
    `);
    try {
      await child.waitForLine(' [x] Done', 10_000);
      expect(child.lines).toEqual([" [x] Received 'still running'", ' [x] Done']);
    } finally {
      await child.stop('SIGKILL');
    }
  });

  it('keeps running, and exits normally, when the reader of its stdout goes away', async () => {
    const child = runScript(PRINT_100_LINES);
    await child.waitForLine('line 0', 10_000);
    child.child.stdout!.destroy();
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.stderr).toContain('stdout is gone');
  });

  it('keeps running when stderr goes down the same closed pipe (worker 2>&1 | head -1)', async () => {
    const child = runScript(PRINT_100_LINES, { stderrToStdout: true });
    await child.waitForLine('line 0', 10_000);
    child.child.stdout!.destroy();
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
