import type { ConfirmChannel, Message } from 'amqplib';

const SETTLED = Symbol('settled');
type SettledMark = Message & { [SETTLED]?: true };

/**
 * Wraps the consuming channel so that each delivery is acked or nacked at most
 * once. A second ack of the same delivery (say, a handler that still acks by
 * hand, as the stock transport requires) would make the broker close the
 * channel and redeliver every task in flight; here it is a no-op.
 */
export function settleOnce(channel: ConfirmChannel): ConfirmChannel {
  const guard =
    (settle: (message: Message, ...rest: any[]) => void) =>
    (message: Message, ...rest: any[]) => {
      const delivery = message as SettledMark;
      if (delivery[SETTLED]) return;
      // A mark on the delivery itself: a WeakSet entry per message costs more, and the garbage collector pays again.
      delivery[SETTLED] = true;
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
