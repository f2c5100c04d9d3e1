import type { ConfirmChannel, Message } from 'amqplib';

/**
 * Wraps the consuming channel so that each delivery is acked or nacked at most
 * once. A second ack of the same delivery (say, a handler that still acks by
 * hand, as the stock transport requires) would make the broker close the
 * channel and redeliver every task in flight; here it is a no-op.
 */
export function settleOnce(channel: ConfirmChannel): ConfirmChannel {
  const settled = new WeakSet<Message>();
  const guard =
    (settle: (message: Message, ...rest: any[]) => void) =>
    (message: Message, ...rest: any[]) => {
      if (settled.has(message)) return;
      settled.add(message);
      settle.call(channel, message, ...rest);
    };
  const ack = guard(channel.ack);
  const nack = guard(channel.nack);
  const reject = guard(channel.reject);
  return new Proxy(channel, {
    get(target, property, receiver) {
      if (property === 'ack') return ack;
      if (property === 'nack') return nack;
      if (property === 'reject') return reject;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
