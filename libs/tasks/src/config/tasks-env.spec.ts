import { EnvError, parseEnv, tasksEnvSchema } from './tasks-env.js';

function envError(env: Record<string, string>): EnvError {
  try {
    parseEnv(tasksEnvSchema, env);
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('parseEnv(tasksEnvSchema)', () => {
  it('fills in the defaults', () => {
    expect(parseEnv(tasksEnvSchema, {})).toEqual({
      AMQP_URL: ['amqp://guest:guest@localhost:5672'],
      TASK_QUEUE: 'task_queue',
      LOG_FORMAT: 'text',
      PREFETCH_COUNT: 1,
      TASK_MAX_ATTEMPTS: 5,
      TASK_RETRY_DELAY_MS: 1000,
      TASK_MAX_BYTES: 1024 * 1024,
      PUBLISH_TIMEOUT_MS: 10_000,
      SHUTDOWN_TIMEOUT_MS: 30_000,
    });
  });

  it('reads the values that are set', () => {
    const env = parseEnv(tasksEnvSchema, {
      AMQP_URL: 'amqp://u:p@a,amqps://u:p@b',
      TASK_QUEUE: ' jobs ',
      PREFETCH_COUNT: '10',
      TASK_MAX_ATTEMPTS: '1',
      TASK_RETRY_DELAY_MS: '0',
      UNRELATED: 'ignored',
    });
    expect(env).toMatchObject({
      AMQP_URL: ['amqp://u:p@a', 'amqps://u:p@b'],
      TASK_QUEUE: 'jobs',
      PREFETCH_COUNT: 10,
      TASK_MAX_ATTEMPTS: 1,
      TASK_RETRY_DELAY_MS: 0,
    });
  });

  it.each([
    ['AMQP_URL', 'http://x', /must start with amqp:\/\/ or amqps:\/\//],
    ['PREFETCH_COUNT', 'abc', /must be a whole number >= 1 \(got 'abc'\)/],
    ['PREFETCH_COUNT', '0', /must be a whole number >= 1 \(got '0'\)/],
    ['PREFETCH_COUNT', '2.5', /must be a whole number/],
    ['TASK_MAX_ATTEMPTS', '-1', /must be a whole number >= 1/],
    ['TASK_QUEUE', '  ', /must not be empty/],
  ])('refuses %s=%s in one line that names the variable', (name, value, reason) => {
    const error = envError({ [name]: value });
    expect(error.message).toMatch(new RegExp(`^invalid environment: ${name} `));
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    'http://user:secret@x',
    'amqp://user:secret@host:notaport',
    'amqp:/user:secret@host',
    'amqp://user:sec/ret@host',
  ])('keeps the AMQP_URL password out of the message for %s', (url) => {
    const error = envError({ AMQP_URL: url });
    expect(error.message).toMatch(/^invalid environment: AMQP_URL /);
    expect(error.message).not.toMatch(/secret|sec\/ret/);
  });
});
