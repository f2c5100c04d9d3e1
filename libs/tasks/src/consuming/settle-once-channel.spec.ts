import { jest } from '@jest/globals';
import type { ConfirmChannel, Message } from 'amqplib';
import { settleOnce } from './settle-once-channel.js';

function fakeChannel() {
  const calls: { method: string; self: unknown; args: unknown[] }[] = [];
  const record =
    (method: string) =>
    function (this: unknown, ...args: unknown[]) {
      calls.push({ method, self: this, args });
    };
  const channel = {
    ack: jest.fn(record('ack')),
    nack: jest.fn(record('nack')),
    reject: jest.fn(record('reject')),
    prefetch: jest.fn(record('prefetch')),
    consumerTag: 'ctag-1',
  };
  return { channel, calls, guarded: settleOnce(channel as unknown as ConfirmChannel) };
}

const message = (tag: number) => ({ fields: { deliveryTag: tag }, properties: {}, content: Buffer.from('x') }) as unknown as Message;

describe('settleOnce', () => {
  it('acks a delivery only once', () => {
    const { channel, guarded } = fakeChannel();
    const m = message(1);
    guarded.ack(m);
    guarded.ack(m);
    expect(channel.ack).toHaveBeenCalledTimes(1);
    expect(channel.ack).toHaveBeenCalledWith(m);
  });

  it('ignores a nack or reject after an ack', () => {
    const { channel, guarded } = fakeChannel();
    const m = message(1);
    guarded.ack(m);
    guarded.nack(m, false, true);
    guarded.reject(m, true);
    expect(channel.nack).not.toHaveBeenCalled();
    expect(channel.reject).not.toHaveBeenCalled();
  });

  it('settles different deliveries independently and passes the extra arguments', () => {
    const { channel, calls, guarded } = fakeChannel();
    const [a, b, c] = [message(1), message(2), message(3)];
    guarded.ack(a);
    guarded.nack(b, false, false);
    guarded.reject(c, false);
    expect(channel.ack).toHaveBeenCalledWith(a);
    expect(channel.nack).toHaveBeenCalledWith(b, false, false);
    expect(channel.reject).toHaveBeenCalledWith(c, false);
    // The real amqplib methods use `this`: it must be the channel, not the proxy.
    expect(calls.every((call) => call.self === channel)).toBe(true);
  });

  it('passes other methods and properties through to the channel', () => {
    const { channel, calls, guarded } = fakeChannel();
    guarded.prefetch(5, false);
    expect(channel.prefetch).toHaveBeenCalledWith(5, false);
    expect(calls[0].self).toBe(channel);
    expect((guarded as unknown as { consumerTag: string }).consumerTag).toBe('ctag-1');
  });
});
