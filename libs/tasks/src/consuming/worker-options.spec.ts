import { Transport } from '@nestjs/microservices';
import { TaskDeserializer } from './task-deserializer.js';
import { createWorkerOptions } from './worker-options.js';

describe('createWorkerOptions', () => {
  const urls = ['amqp://u:secret@broker-a:5672', 'amqp://u:secret@broker-b:5672'];

  it('sets the RMQ transport up for at-least-once delivery', () => {
    const { transport, options } = createWorkerOptions({ urls });
    expect(transport).toBe(Transport.RMQ);
    expect(options).toMatchObject({
      urls,
      queue: 'task_queue',
      noAck: false,
      prefetchCount: 1,
      queueOptions: { durable: true },
    });
    expect(options!.queueOptions).toEqual({ durable: true });
    expect(options!.deserializer).toBeInstanceOf(TaskDeserializer);
  });

  it('takes the queue and prefetch count from the options', () => {
    const { options } = createWorkerOptions({ urls, queue: 'jobs', prefetchCount: 8 });
    expect(options!.queue).toBe('jobs');
    expect(options!.prefetchCount).toBe(8);
  });

  it('refuses options without a broker URL', () => {
    expect(() => createWorkerOptions({ urls: [] })).toThrow(/broker URL/);
  });
});
