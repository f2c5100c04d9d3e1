import { TaskPublisher, TaskPublishError, TasksModule, tasksOptionsFromConfig, TutorialTask } from '@app/tasks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { brokerUrl, deleteQueues, queueCounts, queueFamily, uniqueQueue } from '../../../test/support/broker.js';
import { receivedLine, type RunningProcess, startWorker, waitForLineAfter } from '../../../test/support/processes.js';

/** A service of the host app's own that enqueues through the library. */
@Injectable()
class SignupService {
  constructor(@Inject(TaskPublisher) private readonly tasks: TaskPublisher) {}

  /** Queues the welcome mail; resolves with the task's message id once the broker has it. */
  signUp(name: string): Promise<string> {
    return this.tasks.enqueue(TutorialTask, `Welcome ${name}..`);
  }
}

describe('TasksModule inside a host Nest app, with the real worker', () => {
  const queue = uniqueQueue('nest-host');
  let moduleRef: TestingModule | undefined;
  let worker: RunningProcess | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(['error', 'warn']);
    worker = await startWorker({ TASK_QUEUE: queue });
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          // Only the loaded values: the outer environment must not pick the queue.
          skipProcessEnv: true,
          load: [() => ({ AMQP_URL: brokerUrl(), TASK_QUEUE: queue })],
        }),
        TasksModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => tasksOptionsFromConfig(config),
        }),
      ],
      providers: [SignupService],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await worker?.stop('SIGKILL');
    await deleteQueues(queueFamily(queue));
  });

  it("enqueues from the host's own service, and the worker process does the task", async () => {
    const id = await moduleRef!.get(SignupService).signUp('Ada');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await waitForLineAfter(worker!, receivedLine('Welcome Ada..'), ' [x] Done', 10_000);
    expect(await queueCounts(queue)).toEqual({ ready: 0, consumers: 1 });
  });

  it('closes the publisher with the app', async () => {
    const publisher = moduleRef!.get(TaskPublisher);
    expect(publisher.isConnected()).toBe(true);
    await moduleRef!.close();
    moduleRef = undefined;
    expect(publisher.isConnected()).toBe(false);
    await expect(publisher.enqueue(TutorialTask, 'Too late.')).rejects.toThrow(TaskPublishError);
  });
});
