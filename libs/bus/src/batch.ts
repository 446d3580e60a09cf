import { z } from 'zod';
import { BusContractError, checkedRequest, openEnvelope, type BusClient } from './client';
import { contract, type BatchableContract, type ReplyOf, type RequestOf } from './contracts/core';
import { runHandler, type BusHandler } from './envelope';

/**
 * Requests per batch. An item is about 1 KB (mostly the caller's credential), so a full batch stays
 * far below NATS's 1 MB payload limit.
 */
export const MAX_BATCH_ITEMS = 128;

type AnyBatchable = BatchableContract<z.ZodType, z.ZodType>;

/**
 * The batch subject's own contract: the items in, one envelope per item out, in order. Each item
 * is checked against the item contract where it is handled, and each envelope where it is opened.
 */
export function batchContractOf(c: AnyBatchable) {
  return contract(
    c.batchSubject,
    z.strictObject({ items: z.array(z.unknown()).min(1).max(MAX_BATCH_ITEMS) }),
    z.strictObject({ results: z.array(z.unknown()) }),
  );
}

/**
 * Answers a batch with `h`: every item is handled as if it had come alone (its own validation,
 * decision and error), all at once. `onInternal` sees the unexpected errors, as for a lone request.
 */
export function batchHandler(h: BusHandler<AnyBatchable>, onInternal: (err: unknown) => void): BusHandler {
  return {
    contract: batchContractOf(h.contract),
    handle: async ({ items }: { items: unknown[] }) => ({ results: await Promise.all(items.map((item) => runHandler(h, item, onInternal))) }),
  };
}

interface Waiting<C extends AnyBatchable> {
  payload: RequestOf<C>;
  resolve(reply: ReplyOf<C>): void;
  reject(err: unknown): void;
}

/**
 * Requests on one batchable contract, coalesced: those made in the same event-loop turn leave
 * together, as one request on the batch subject, when the turn ends; a turn with one request sends
 * it on the contract's own subject. Every caller gets what BusClient.request would have given it:
 * its payload is checked before it leaves (a bad one fails alone), and its answer or typed error is
 * its own. A batch that goes unanswered fails all of its callers; one answered with the wrong
 * number of results fails them all too, since no result can be matched to its caller.
 *
 * Why: per request, the NATS round trip cost the asking and the answering service more than the
 * decision. Identity asking policy about each vouch, batched: ~30% more vouches/s on 2 cores.
 */
export class RequestBatcher<C extends AnyBatchable> {
  private waiting: Waiting<C>[] = [];
  private readonly batch: ReturnType<typeof batchContractOf>;

  constructor(
    private readonly bus: BusClient,
    private readonly contract: C,
    private readonly timeoutMs?: number,
  ) {
    this.batch = batchContractOf(contract);
  }

  request(payload: RequestOf<C>): Promise<ReplyOf<C>> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.send());
      this.waiting.push({ payload, resolve, reject });
    });
  }

  private send(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += MAX_BATCH_ITEMS) {
      const part = all.slice(i, i + MAX_BATCH_ITEMS);
      if (part.length === 1) this.bus.request(this.contract, part[0].payload, this.timeoutMs).then(part[0].resolve, part[0].reject);
      else void this.sendBatch(part);
    }
  }

  private async sendBatch(part: Waiting<C>[]): Promise<void> {
    const items: unknown[] = [];
    const sent: Waiting<C>[] = [];
    for (const w of part) {
      try {
        items.push(checkedRequest(this.contract, w.payload));
        sent.push(w);
      } catch (err) {
        w.reject(err);
      }
    }
    if (sent.length === 0) return;
    let results: unknown[];
    try {
      results = (await this.bus.request(this.batch, { items }, this.timeoutMs)).results;
      if (results.length !== sent.length) throw new BusContractError(this.batch.subject, `${results.length} results for ${sent.length} requests`);
    } catch (err) {
      for (const w of sent) w.reject(err);
      return;
    }
    sent.forEach((w, i) => {
      try {
        w.resolve(openEnvelope(this.contract, results[i]));
      } catch (err) {
        w.reject(err);
      }
    });
  }
}
