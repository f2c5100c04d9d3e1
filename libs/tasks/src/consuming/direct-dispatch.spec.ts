import {
  type CallHandler,
  Catch,
  type CanActivate,
  Controller,
  createParamDecorator,
  type ExceptionFilter,
  Injectable,
  type NestInterceptor,
  type PipeTransform,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, EventPattern, type MessageHandler, Payload, RmqContext } from '@nestjs/microservices';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { defineTask } from '../contract/task-contract.js';
import { resolveDirectDispatch } from './direct-dispatch.js';
import { TaskHandler } from './task-handler.decorator.js';

const Greet = defineTask('greet', { encoding: 'text', schema: z.string() });

@Injectable()
class Greeter {
  greet(name: string): string {
    return `Hello ${name}`;
  }
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

const MessageId = createParamDecorator((_data: unknown, host) => (host.switchToRpc().getContext<RmqContext>().getMessage() as { properties: { messageId: string } }).properties.messageId);

@Controller()
class PlainHandlers {
  constructor(private readonly greeter: Greeter) {}

  @TaskHandler(Greet)
  payloadOnly(@Payload() name: string) {
    return this.greeter.greet(name);
  }

  @TaskHandler(Greet)
  withContext(@Payload() name: string, @Ctx() context: RmqContext) {
    return [name, context];
  }

  @TaskHandler(Greet)
  contextFirst(@Ctx() context: RmqContext, @Payload() name: string) {
    return [context, name];
  }

  @TaskHandler(Greet)
  undecorated(name: string) {
    return this.greeter.greet(name);
  }

  @TaskHandler(Greet)
  @UseInterceptors(PassThrough)
  intercepted(@Payload() name: string) {
    return name;
  }

  @TaskHandler(Greet)
  @UsePipes(Upper)
  piped(@Payload() name: string) {
    return name;
  }

  @TaskHandler(Greet)
  paramPipe(@Payload(Upper) name: string) {
    return name;
  }

  @TaskHandler(Greet)
  @UseFilters(SwallowAll)
  filtered(@Payload() name: string) {
    return name;
  }

  @TaskHandler(Greet)
  customParam(@MessageId() id: string) {
    return id;
  }

  @TaskHandler(Greet)
  partOfPayload(@Payload('name') name: string) {
    return name;
  }

  @EventPattern('plain-event')
  plainEvent(@Payload() data: unknown) {
    return data;
  }
}

@Controller()
@UseGuards(AllowAll)
class GuardedHandlers {
  @TaskHandler(Greet)
  greet(@Payload() name: string) {
    return name;
  }
}

@Controller({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  @TaskHandler(Greet)
  greet(@Payload() name: string) {
    return name;
  }
}

/** The handler Nest registers with the server for a method: a callback carrying the method's extras. */
function handlerOf(controller: { prototype: object }, method: string): MessageHandler {
  const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, (controller.prototype as Record<string, object>)[method]);
  return Object.assign(async () => undefined, { extras }) as unknown as MessageHandler;
}

describe('resolveDirectDispatch', () => {
  let moduleRef: ModuleRef;
  const context = new RmqContext([{ properties: { messageId: 'm-1' } }, {}, 'greet']);

  beforeAll(async () => {
    const testing = await Test.createTestingModule({
      controllers: [PlainHandlers, GuardedHandlers, RequestScopedHandlers],
      providers: [Greeter],
    }).compile();
    moduleRef = testing.get(ModuleRef);
  });

  const direct = (controller: { prototype: object }, method: string) => {
    const resolved = resolveDirectDispatch(handlerOf(controller, method), moduleRef);
    if (!('invoke' in resolved)) throw new Error(`expected a direct call, got: ${resolved.reason}`);
    return resolved.invoke;
  };
  const reasonFor = (controller: { prototype: object }, method: string, handler = handlerOf(controller, method)) => {
    const resolved = resolveDirectDispatch(handler, moduleRef);
    return 'reason' in resolved ? resolved.reason : 'called directly';
  };

  it('calls the method on the app’s own instance, with its dependencies', () => {
    expect(direct(PlainHandlers, 'payloadOnly')('Ada', context)).toBe('Hello Ada');
  });

  it('passes the payload and the context where @Payload() and @Ctx() put them', () => {
    expect(direct(PlainHandlers, 'withContext')('Ada', context)).toEqual(['Ada', context]);
    expect(direct(PlainHandlers, 'contextFirst')('Ada', context)).toEqual([context, 'Ada']);
  });

  it('gives a method without parameter decorators the payload, as Nest does', () => {
    expect(direct(PlainHandlers, 'undecorated')('Bob', context)).toBe('Hello Bob');
  });

  it.each([
    ['PlainHandlers.intercepted', PlainHandlers, 'intercepted', 'PlainHandlers.intercepted has interceptors'],
    ['PlainHandlers.piped', PlainHandlers, 'piped', 'PlainHandlers.piped has pipes'],
    ['PlainHandlers.paramPipe', PlainHandlers, 'paramPipe', 'PlainHandlers.paramPipe has parameter pipes'],
    ['PlainHandlers.filtered', PlainHandlers, 'filtered', 'PlainHandlers.filtered has exception filters'],
    ['PlainHandlers.customParam', PlainHandlers, 'customParam', 'PlainHandlers.customParam has a custom parameter decorator'],
    ['PlainHandlers.partOfPayload', PlainHandlers, 'partOfPayload', "PlainHandlers.partOfPayload takes part of the payload (@Payload('name'))"],
    ['PlainHandlers.plainEvent', PlainHandlers, 'plainEvent', 'it is not a @TaskHandler method'],
    ['GuardedHandlers.greet', GuardedHandlers, 'greet', 'GuardedHandlers.greet has guards'],
    ['RequestScopedHandlers.greet', RequestScopedHandlers, 'greet', 'RequestScopedHandlers.greet is request-scoped or transient'],
  ])('leaves %s to Nest’s pipeline', (_name, controller, method, reason) => {
    expect(reasonFor(controller, method)).toBe(reason);
  });

  it('leaves a task that two handlers take to Nest’s pipeline', () => {
    const first = handlerOf(PlainHandlers, 'payloadOnly');
    first.next = handlerOf(PlainHandlers, 'undecorated');
    expect(reasonFor(PlainHandlers, 'payloadOnly', first)).toBe('more than one handler takes this task');
  });

  it('leaves a controller the app does not have to Nest’s pipeline', async () => {
    const empty = await Test.createTestingModule({}).compile();
    const resolved = resolveDirectDispatch(handlerOf(PlainHandlers, 'payloadOnly'), empty.get(ModuleRef));
    expect(resolved).toEqual({ reason: 'PlainHandlers.payloadOnly: its controller is not found in the app' });
  });
});
