// The tutorial, end to end: two workers share out new_task's five tasks.
// Runs the built apps (npm run build first); needs a broker (scripts/ensure-broker.sh).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const TASKS = ['First message.', 'Second message..', 'Third message...', 'Fourth message....', 'Fifth message.....'];
const WORKER = 'dist/apps/worker/src/main.js';
const NEW_TASK = 'dist/apps/producer/src/cli/new-task.js';
// Two workers on one host: each takes a free port for /health and /metrics.
const env = { ...process.env, MS_PER_DOT: process.env.MS_PER_DOT ?? '1000', WORKER_PORT: '0' };

let done = 0;
const workers = [1, 2].map((n) => {
  const child = spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker ${n} exited with code ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(`[worker ${n}] ${line}`);
      if (line.includes('Waiting for messages')) resolve();
      if (line.trim() === '[x] Done' && ++done === TASKS.length) finish(0);
    });
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (/ERROR|WARN/.test(line)) console.error(`[worker ${n}] ${line}`);
  });
  return { child, ready };
});

const timeout = setTimeout(() => {
  console.error(`demo: only ${done} of ${TASKS.length} tasks were done within 120 s`);
  finish(1);
}, 120_000);

async function finish(code) {
  clearTimeout(timeout);
  for (const { child } of workers) child.kill('SIGTERM');
  await Promise.all(workers.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : null)));
  if (code === 0) console.log(`demo: ${TASKS.length} tasks done by two workers; see how they were shared out above.`);
  process.exit(code);
}

try {
  await Promise.all(workers.map((worker) => worker.ready));
} catch (error) {
  console.error(`demo: ${error.message}`);
  await finish(1);
}
for (const task of TASKS) {
  const sent = spawnSync(process.execPath, [NEW_TASK, ...task.split(' ')], { env, encoding: 'utf8' });
  process.stdout.write(`[new_task] ${sent.stdout}`);
  if (sent.status !== 0) {
    process.stderr.write(sent.stderr);
    await finish(1);
  }
}
