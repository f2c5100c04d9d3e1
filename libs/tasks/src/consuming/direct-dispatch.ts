import type { Type } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { type ModuleRef, ModulesContainer } from '@nestjs/core';
import type { MessageHandler, RmqContext } from '@nestjs/microservices';
// Not re-exported from the package's index; the values are what @Payload() and @Ctx() record.
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum.js';
import { PassTaskErrorsToWorkerFilter, TASK_METHOD_EXTRA, type TaskMethodRef } from './task-handler.decorator.js';

/** Runs a task's handler with its payload and context; returns what the handler returned. */
export type TaskInvoker = (data: unknown, context: RmqContext) => unknown;

export type DirectDispatch = { invoke: TaskInvoker } | { reason: string };

interface ParamMetadata {
  index: number;
  data?: unknown;
  pipes?: unknown[];
  schema?: unknown;
}

/**
 * How to call a `@TaskHandler` method directly, with the arguments Nest's
 * handler pipeline would give it, or why only that pipeline may call it.
 *
 * The direct call is taken only where the pipeline would add nothing but its
 * layers: one static (singleton) controller per task, no guards, interceptors
 * or pipes on the class or method, no exception filter but `@TaskHandler`'s own
 * pass-through one, and parameters that are only `@Payload()` and `@Ctx()`.
 * Global enhancers are not visible here: the caller opts in knowing that.
 */
export function resolveDirectDispatch(handler: MessageHandler, moduleRef: ModuleRef): DirectDispatch {
  if (handler.next) return { reason: 'more than one handler takes this task' };
  const ref = handler.extras?.[TASK_METHOD_EXTRA] as TaskMethodRef | undefined;
  if (!ref) return { reason: 'it is not a @TaskHandler method' };
  const name = `${ref.controller.name}.${String(ref.method)}`;

  // The controller Nest registered, found the way Nest's DiscoveryService finds
  // controllers: exactly one, static. (A class that is also a provider, or a
  // subclass, could give another instance than the one Nest calls.)
  const wrappers = [...moduleRef.get(ModulesContainer, { strict: false }).values()].flatMap((module) =>
    [...module.controllers.values()].filter((wrapper) => wrapper.metatype === ref.controller),
  );
  if (wrappers.length !== 1) {
    return { reason: wrappers.length === 0 ? `${name}: its class is not a controller of the app` : `${name}: its class is a controller in ${wrappers.length} modules` };
  }
  const [wrapper] = wrappers;
  if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) return { reason: `${name} is request-scoped or transient` };
  const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
  if (!instance) return { reason: `${name}: its controller has no instance` };
  const method = instance[ref.method];
  if (typeof method !== 'function') return { reason: `${name} is not a method` };
  const controller = instance.constructor as Type<unknown>;

  for (const [key, kind] of ENHANCERS) {
    if (hasAny(Reflect.getMetadata(key, controller)) || hasAny(Reflect.getMetadata(key, method))) {
      return { reason: `${name} has ${kind}` };
    }
  }
  const filters = [...asArray(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, controller)), ...asArray(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, method))];
  if (filters.some((filter) => filter !== PassTaskErrorsToWorkerFilter)) return { reason: `${name} has exception filters` };

  // As Nest does: no parameter decorators at all means the payload as the first argument.
  const params: Record<string, ParamMetadata> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, ref.method) ?? {
    [`${RpcParamtype.PAYLOAD}:0`]: { index: 0 },
  };
  return invokerFor(name, method as (...args: unknown[]) => unknown, instance, params);
}

const ENHANCERS = [
  [GUARDS_METADATA, 'guards'],
  [INTERCEPTORS_METADATA, 'interceptors'],
  [PIPES_METADATA, 'pipes'],
] as const;

function invokerFor(
  name: string,
  method: (...args: unknown[]) => unknown,
  instance: unknown,
  params: Record<string, ParamMetadata>,
): DirectDispatch {
  const keys = Object.keys(params);
  // Nest passes the raw (data, context) when a method has parameter metadata but no entries.
  if (keys.length === 0) return { invoke: (data, context) => method.call(instance, data, context) };
  const sources: Array<'payload' | 'context' | undefined> = [];
  for (const key of keys) {
    const { index, data, pipes, schema } = params[key];
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) return { reason: `${name} has a custom parameter decorator` };
    if (hasAny(pipes)) return { reason: `${name} has parameter pipes` };
    // A schema on @Payload() is for a global pipe to apply, which a direct call would skip.
    if (schema !== undefined) return { reason: `${name} gives @Payload() a schema` };
    if (data !== undefined) return { reason: `${name} takes part of the payload (@Payload('${String(data)}'))` };
    const type = Number(key.split(':')[0]);
    if (type === RpcParamtype.PAYLOAD) sources[index] = 'payload';
    else if (type === RpcParamtype.CONTEXT) sources[index] = 'context';
    else return { reason: `${name} has a parameter Nest's RMQ transport does not fill directly` };
  }
  const shape = Array.from(sources, (source) => source ?? '-').join(',');
  // The common shapes without a per-call array.
  if (shape === 'payload') return { invoke: (data) => method.call(instance, data) };
  if (shape === 'payload,context') return { invoke: (data, context) => method.call(instance, data, context) };
  return {
    invoke: (data, context) =>
      method.apply(
        instance,
        sources.map((source) => (source === 'payload' ? data : source === 'context' ? context : undefined)),
      ),
  };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function hasAny(value: unknown): boolean {
  return asArray(value).length > 0;
}
