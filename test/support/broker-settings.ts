import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Evaluates an Erlang expression on the broker node (root only, like the rest of rabbitmqctl). */
async function brokerEval(expression: string): Promise<string> {
  const { stdout } = await exec('rabbitmqctl', ['eval', expression], { timeout: 30_000 });
  return stdout.trim();
}

/**
 * Makes the broker close, within about a second, the channel of a consumer
 * that holds a delivery unacked longer than `ms`. Only channels opened from
 * now on see it. Returns a function that puts the settings back.
 */
export async function shortenConsumerTimeout(ms: number): Promise<() => Promise<void>> {
  // Both keys must keep a value: a channel cannot even open without channel_tick_interval.
  const timeoutBefore = okValue(await brokerEval('application:get_env(rabbit, consumer_timeout).')) ?? 1_800_000;
  const tickBefore = okValue(await brokerEval('application:get_env(rabbit, channel_tick_interval).')) ?? 60_000;
  await brokerEval(`application:set_env(rabbit, channel_tick_interval, 250), application:set_env(rabbit, consumer_timeout, ${ms}).`);
  return async () => {
    await brokerEval(
      `application:set_env(rabbit, consumer_timeout, ${timeoutBefore}), application:set_env(rabbit, channel_tick_interval, ${tickBefore}).`,
    );
  };
}

function okValue(reply: string): number | undefined {
  const match = /^\{ok,(\d+)\}$/.exec(reply);
  return match ? Number(match[1]) : undefined;
}
