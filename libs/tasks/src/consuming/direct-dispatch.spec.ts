import {
  type CallHandler,
  Catch,
  type CanActivate,
  Controller,
  createParamDecorator,
  type ExceptionFilter,
  Injectable,
  type INestMicroservice,
  Module,
  type NestInterceptor,
  type PipeTransform,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, type CustomTransportStrategy, EventPattern, type MessageHandler, Payload, RmqContext, Server } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { isObservable, lastValueFrom } from 'rxjs';
import { z } from 'zod';
import { defineTask } from '../contract/task-contract.js';
import { resolveDirectDispatch, type TaskInvoker } from './direct-dispatch.js';
import { TaskHandler } from './task-handler.decorator.js';

const task = (name: string) => defineTask(name, { encoding: 'text', schema: z.string() });

/** Every call of a handler method: the instance it ran on and the arguments it got. */
const calls: Array<{ self: unknown; args: unknown[] }> = [];
function record(self: unknown, args: IArguments): string {
  calls.push({ self, args: [...args] });
  return 'handled';
}

@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class PassThrough implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

@Injectable()
class Upper implements PipeTransform {
  transform(value: unknown) {
    return String(value).toUpperCase();
  }
}

@Catch()
class SwallowAll implements ExceptionFilter {
  catch(): void {}
}

const MessageId = createParamDecorator(
  (_data: unknown, host) => (host.switchToRpc().getContext<RmqContext>().getMessage() as { properties: { messageId: string } }).properties.messageId,
);

@Controller()
class PlainHandlers {
  @TaskHandler(task('payload-only'))
  payloadOnly(@Payload() _text: string) {
    return record(this, arguments);
  }

  @TaskHandler(task('with-context'))
  withContext(@Payload() _text: string, @Ctx() _context: RmqContext) {
    return record(this, arguments);
  }

  @TaskHandler(task('context-first'))
  contextFirst(@Ctx() _context: RmqContext, @Payload() _text: string) {
    return record(this, arguments);
  }

  @TaskHandler(task('context-only'))
  contextOnly(@Ctx() _context: RmqContext) {
    return record(this, arguments);
  }

  @TaskHandler(task('undecorated'))
  undecorated(_text: string) {
    return record(this, arguments);
  }

  @TaskHandler(task('gap'))
  gap(@Payload() _text: string, _unused: unknown, @Ctx() _context: RmqContext) {
    return record(this, arguments);
  }

  @TaskHandler(task('intercepted'))
  @UseInterceptors(PassThrough)
  intercepted(@Payload() text: string) {
    return text;
  }

  @TaskHandler(task('piped'))
  @UsePipes(Upper)
  piped(@Payload() text: string) {
    return text;
  }

  @TaskHandler(task('param-pipe'))
  paramPipe(@Payload(Upper) text: string) {
    return text;
  }

  @TaskHandler(task('filtered'))
  @UseFilters(SwallowAll)
  filtered(@Payload() text: string) {
    return text;
  }

  @TaskHandler(task('custom-param'))
  customParam(@MessageId() id: string) {
    return id;
  }

  @TaskHandler(task('part-of-payload'))
  partOfPayload(@Payload('name') name: string) {
    return name;
  }

  @TaskHandler(task('payload-schema'))
  payloadSchema(@Payload({ schema: z.string() }) text: string) {
    return text;
  }

  @EventPattern('plain-event')
  plainEvent(@Payload() data: unknown) {
    return data;
  }
}

@Controller()
@UseGuards(AllowAll)
class GuardedHandlers {
  @TaskHandler(task('guarded'))
  greet(@Payload() text: string) {
    return text;
  }
}

@Controller({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  @TaskHandler(task('request-scoped'))
  greet(@Payload() text: string) {
    return text;
  }
}

@Controller()
class FirstOfTwo {
  @TaskHandler(task('shared'))
  first(@Payload() text: string) {
    return text;
  }
}

@Controller()
class SecondOfTwo {
  @TaskHandler(task('shared'))
  second(@Payload() text: string) {
    return text;
  }
}

/** A controller whose class is also a provider elsewhere: two instances in the app. */
@Controller()
class AlsoAProvider {
  @TaskHandler(task('also-a-provider'))
  handle(@Payload() _text: string) {
    return record(this, arguments);
  }
}

@Module({ providers: [AlsoAProvider] })
class ProviderModule {}

/** A transport that only collects the handlers Nest registers with it. */
class CollectingStrategy extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  on(): never {
    throw new Error('not used');
  }
  unwrap<T>(): T {
    throw new Error('not used');
  }
}

describe('resolveDirectDispatch, against the handlers Nest registers', () => {
  const strategy = new CollectingStrategy();
  let app: INestMicroservice;
  let moduleRef: ModuleRef;
  const context = new RmqContext([{ properties: { messageId: 'm-1' } }, {}, 'a-task']);

  beforeAll(async () => {
    const testing = await Test.createTestingModule({
      imports: [ProviderModule],
      controllers: [PlainHandlers, GuardedHandlers, RequestScopedHandlers, FirstOfTwo, SecondOfTwo, AlsoAProvider],
    }).compile();
    app = testing.createNestMicroservice({ strategy });
    await app.init();
    moduleRef = testing.get(ModuleRef);
  });

  afterAll(() => app.close());

  const handler = (pattern: string): MessageHandler => {
    const registered = strategy.getHandlers().get(pattern);
    if (!registered) throw new Error(`Nest registered no handler for '${pattern}'`);
    return registered;
  };
  const direct = (pattern: string): TaskInvoker => {
    const resolved = resolveDirectDispatch(handler(pattern), moduleRef);
    if (!('invoke' in resolved)) throw new Error(`expected a direct call, got: ${resolved.reason}`);
    return resolved.invoke;
  };
  /** What the method saw when Nest's pipeline called it, and when the invoker did. */
  async function bothWays(pattern: string) {
    calls.length = 0;
    const result = await handler(pattern)('Ada', context);
    const viaNest = isObservable(result) ? await lastValueFrom(result) : result;
    const returnedDirectly = direct(pattern)('Ada', context);
    const [nest, own] = calls;
    return { nest, own, viaNest, returnedDirectly };
  }

  it.each(['payload-only', 'with-context', 'context-first', 'context-only', 'undecorated', 'gap', 'also-a-provider'])(
    'calls %s with the instance, arguments and result Nest’s pipeline gives it',
    async (pattern) => {
      const { nest, own, viaNest, returnedDirectly } = await bothWays(pattern);
      expect(nest).toBeDefined();
      expect(own.self).toBe(nest.self);
      expect(own.args).toEqual(nest.args);
      expect(own.args.length).toBe(nest.args.length);
      expect(returnedDirectly).toBe(viaNest);
    },
  );

  it('passes the payload and the context in the order the method asks', async () => {
    expect((await bothWays('context-first')).own.args).toEqual([context, 'Ada']);
    expect((await bothWays('undecorated')).own.args).toEqual(['Ada']);
    expect((await bothWays('gap')).own.args).toEqual(['Ada', undefined, context]);
  });

  it('calls the controller instance, not the provider of the same class', async () => {
    expect(app.get(AlsoAProvider, { strict: false, each: true })).toHaveLength(2);
    const { nest, own } = await bothWays('also-a-provider');
    expect(own.self).toBe(nest.self);
  });

  it.each([
    ['intercepted', 'PlainHandlers.intercepted has interceptors'],
    ['piped', 'PlainHandlers.piped has pipes'],
    ['param-pipe', 'PlainHandlers.paramPipe has parameter pipes'],
    ['filtered', 'PlainHandlers.filtered has exception filters'],
    ['custom-param', 'PlainHandlers.customParam has a custom parameter decorator'],
    ['part-of-payload', "PlainHandlers.partOfPayload takes part of the payload (@Payload('name'))"],
    ['payload-schema', 'PlainHandlers.payloadSchema gives @Payload() a schema'],
    ['plain-event', 'it is not a @TaskHandler method'],
    ['guarded', 'GuardedHandlers.greet has guards'],
    ['request-scoped', 'RequestScopedHandlers.greet is request-scoped or transient'],
    ['shared', 'more than one handler takes this task'],
  ])('leaves %s to Nest’s pipeline', (pattern, reason) => {
    expect(resolveDirectDispatch(handler(pattern), moduleRef)).toEqual({ reason });
  });

  it('leaves a controller the app does not have to Nest’s pipeline', async () => {
    const other = await Test.createTestingModule({}).compile();
    expect(resolveDirectDispatch(handler('payload-only'), other.get(ModuleRef))).toEqual({
      reason: 'PlainHandlers.payloadOnly: its class is not a controller of the app',
    });
  });
});
