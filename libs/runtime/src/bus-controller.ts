import { Controller, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { batchHandler, isBatchable, runHandler, type BusHandler } from '@am/bus';
import type { Logger } from 'pino';

/**
 * A Nest controller answering each handler's subject. Handlers are plain objects (contract +
 * function), so services declare their bus surface as data and test it without Nest; this is the
 * one place that binds them to `@MessagePattern`.
 */
export function busController(name: string, handlers: () => readonly BusHandler[], log: Logger): Type {
  class BusController {}
  Object.defineProperty(BusController, 'name', { value: name });
  const onInternal = (subject: string) => (err: unknown) => log.error({ err, subject }, 'handler failed unexpectedly');
  // A batchable contract's handler answers its batch subject too.
  const list = handlers().flatMap((h) => (isBatchable(h.contract) ? [h, batchHandler({ contract: h.contract, handle: h.handle }, onInternal(h.contract.subject))] : [h]));
  list.forEach((h, i) => {
    const key = `handle${i}`;
    const internal = onInternal(h.contract.subject);
    const method = (payload: unknown) => runHandler(h, payload, internal);
    Object.defineProperty(BusController.prototype, key, { value: method, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(BusController.prototype, key)!;
    MessagePattern(h.contract.subject)(BusController.prototype, key, descriptor);
    Payload()(BusController.prototype, key, 0);
  });
  Controller()(BusController);
  return BusController;
}
