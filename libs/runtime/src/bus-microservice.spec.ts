import { batchable, BusClient, BusContractError, BusUnavailableError, contract, handler, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, natsConnectionOptions, readWhole, RequestBatcher, STREAM_CHUNK_BYTES, STREAM_HEADER, STREAM_WINDOW, streamed, streamHandler } from '@am/bus';
import { InternalError, InvalidArgumentError, NotFoundError } from '@am/model';
import { TestInfra, waitFor } from '@am/testing';
import { connect, headers, type ConnectionOptions, type NatsConnection } from 'nats';
import pino from 'pino';
import { z } from 'zod';
import { startBusMicroservice, type BusMicroservice } from './backend';

const double = contract('am.policy.test.double', z.strictObject({ n: z.number().int() }), z.strictObject({ doubled: z.number() }));
const missing = contract('am.policy.test.missing', z.strictObject({}), z.strictObject({}));
const broken = contract('am.policy.test.broken', z.strictObject({}), z.strictObject({}));
const slow = contract('am.policy.test.slow', z.strictObject({}), z.strictObject({ done: z.literal(true) }));
const triple = batchable(contract('am.policy.test.triple', z.strictObject({ n: z.number().int() }), z.strictObject({ tripled: z.number() })));
/** Answered by a broken peer (raw NATS) that gives a batch too few results, or some results outside the contract. */
const skewed = batchable(contract('am.policy.test.skewed', z.strictObject({ n: z.number().int() }), z.strictObject({ ok: z.literal(true) })));
const unanswered = batchable(contract('am.policy.unobserved.unanswered', z.strictObject({ n: z.number().int() }), z.strictObject({})));
/** Answered on its plain subject only, by a peer from before batching (raw NATS). */
const legacy = batchable(contract('am.policy.unobserved.legacy-echo', z.strictObject({ n: z.number().int() }), z.strictObject({ n: z.number() })));
const blob = batchable(contract('am.policy.test.blob', z.strictObject({ s: z.string().max(300_000) }), z.strictObject({ length: z.number() })));
/** Its request is over NATS's 1 MB payload limit. */
const large = contract('am.policy.test.large', z.strictObject({ s: z.string() }), z.strictObject({ length: z.number(), same: z.boolean() }));
/** Its reply is over NATS's 1 MB payload limit. */
const huge = contract('am.policy.test.huge', z.strictObject({}), z.strictObject({ s: z.string() }));

/** A streamed answer of `mib` MiB in pieces of 10 kB (`a`..`z` by piece), failing midway when asked. */
const stream = streamed(contract('am.policy.test.stream', z.strictObject({ mib: z.number(), failAt: z.number().optional() }), z.strictObject({ pieces: z.number() })));
/** Answered by a broken peer (raw NATS) whose head names somewhere else for the acknowledgements. */
const misdirected = streamed(contract('am.policy.test.misdirected', z.strictObject({}), z.strictObject({ pieces: z.number() })));
const PIECE = 10_000;
/** What the stream handler's body was asked for so far, and whether it was closed (ended or cancelled). */
const produced = { pieces: 0, closed: false };

const LARGE = Array.from({ length: 3_300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

describe("a service's bus: a Nest microservice on NatsBusStrategy, over a real nats-server", () => {
  let infra: TestInfra;
  let client: NatsConnection;
  let bus: BusClient;
  let server: BusMicroservice;
  let markStarted!: () => void;
  let release!: () => void;
  const slowStarted = new Promise<void>((r) => (markStarted = r));
  const released = new Promise<void>((r) => (release = r));
  const internalErrors: unknown[] = [];
  /** The test-subject messages on NATS, and the numbers the triple handler was given. */
  const seen: string[] = [];
  const handled: number[] = [];
  let nats!: (service: 'policy' | 'gateway') => ConnectionOptions;

  beforeAll(async () => {
    infra = await TestInfra.start();
    nats = (service) => {
      const env = infra.env(service);
      return natsConnectionOptions({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: env.AM_NATS_USER, AM_NATS_PASSWORD: env.AM_NATS_PASSWORD }, service);
    };
    const log = pino({ level: 'silent' });
    log.error = ((obj: { err?: unknown }) => void internalErrors.push(obj.err)) as typeof log.error;
    server = infra.track(await startBusMicroservice('test', 'policy', [
      handler(double, ({ n }) => ({ doubled: n * 2 })),
      handler(missing, () => {
        throw new NotFoundError('am://x not found');
      }),
      handler(broken, () => {
        throw new InternalError('a bug with a secret in it');
      }),
      handler(triple, ({ n }) => {
        handled.push(n);
        if (n < 0) throw new NotFoundError(`no ${n}`);
        if (n === 13) throw new InternalError('a bug with a secret in it');
        return { tripled: n * 3 };
      }),
      handler(blob, ({ s }) => ({ length: s.length })),
      handler(huge, () => ({ s: 'x'.repeat(3_300_000) })),
      streamHandler(stream, async ({ mib, failAt }) => {
        const pieces = Math.ceil((mib * 1024 * 1024) / PIECE);
        Object.assign(produced, { pieces: 0, closed: false });
        async function* body() {
          try {
            for (let i = 0; i < pieces; i++) {
              if (i === failAt) throw new Error('the body broke');
              produced.pieces++;
              yield String.fromCharCode(97 + (i % 26)).repeat(PIECE);
            }
          } finally {
            produced.closed = true;
          }
        }
        return { head: { pieces }, body: body() };
      }),
      handler(large, ({ s }) => ({ length: s.length, same: s === LARGE })),
      handler(slow, async () => {
        markStarted();
        await released;
        return { done: true as const };
      }),
    ], () => connect(nats('policy')), log));
    client = infra.track(await connect(nats('gateway')));
    bus = new BusClient(() => client, 5000);
  });
  afterAll(() => {
    release();
    return infra?.stop();
  });

  it('answers a request in the wire format BusClient speaks', async () => {
    await expect(bus.request(double, { n: 21 })).resolves.toEqual({ doubled: 42 });
  });

  it('carries a typed error back as the same AmError; an unexpected one only as "internal", logged here', async () => {
    await expect(bus.request(missing, {})).rejects.toThrow(NotFoundError);
    const err = await bus.request(broken, {}).catch((e: Error) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).not.toContain('secret');
    expect(internalErrors).toHaveLength(1);
  });

  it('answers a malformed message with an error, not silence', async () => {
    const reply = await client.request(double.subject, new TextEncoder().encode('not json'), { timeout: 5000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ err: 'malformed request' });
  });

  it('refuses a request outside the contract as invalid-argument', async () => {
    const reply = await client.request(double.subject, new TextEncoder().encode(JSON.stringify({ pattern: double.subject, data: { n: 'x' }, id: '1' })), { timeout: 5000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ id: '1', response: { ok: false, error: { code: 'invalid-argument' } } });
  });

  describe('batched requests (RequestBatcher)', () => {
    beforeAll(async () => {
      // Watches every request on the test subjects (NATS delivers a copy to each plain subscriber).
      const observer = infra.track(await infra.observe());
      observer.subscribe('am.policy.test.>', { callback: (_e, m) => seen.push(m.subject) });
      const skewedPeer = infra.track(await connect(nats('policy')));
      skewedPeer.subscribe(skewed.batchSubject, {
        callback: (_e, m) => {
          const { data, id } = JSON.parse(Buffer.from(m.data).toString()) as { data: { items: { n: number }[] }; id: string };
          // Two items get one result; otherwise the even-numbered results are outside the contract.
          const results = data.items.length === 2 ? [{ ok: true, value: { ok: true } }] : data.items.map((_, i) => ({ ok: true, value: { ok: i % 2 ? 'maybe' : true } }));
          m.respond(JSON.stringify({ response: { ok: true, value: { results } }, isDisposed: true, id }));
        },
      });
      const legacyPeer = infra.track(await connect(nats('policy')));
      legacyPeer.subscribe(legacy.subject, {
        callback: (_e, m) => {
          const { data, id } = JSON.parse(Buffer.from(m.data).toString()) as { data: { n: number }; id: string };
          legacyRequests++;
          m.respond(JSON.stringify({ response: { ok: true, value: { n: data.n } }, isDisposed: true, id }));
        },
      });
      await Promise.all([observer.flush(), skewedPeer.flush(), legacyPeer.flush()]);
    });
    let legacyRequests = 0;
    beforeEach(() => {
      seen.length = 0;
      handled.length = 0;
    });

    /** Waits until the observer has every request sent so far: NATS keeps one connection's messages in order. */
    const settle = async () => {
      const mark = `am.policy.test.mark.${Math.random().toString(36).slice(2)}`;
      client.publish(mark);
      await waitFor('the observer to catch up', () => seen.includes(mark), 5000, 5);
      seen.splice(seen.indexOf(mark), 1);
    };

    it('sends the requests of one turn as one batch, and gives each caller its own answer or error', async () => {
      const batcher = new RequestBatcher(bus, triple);
      const loggedBefore = internalErrors.length;
      const outcomes = await Promise.allSettled([1, -2, 13, 1.5, 4].map((n) => batcher.request({ n })));
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { tripled: 3 } });
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
      const internal = (outcomes[2] as PromiseRejectedResult).reason as Error;
      expect(internal).toBeInstanceOf(InternalError);
      expect(internal.message).not.toContain('secret');
      expect(internalErrors).toHaveLength(loggedBefore + 1);
      // Outside the contract: refused here, before it leaves; the others still go.
      expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArgumentError);
      expect(outcomes[4]).toEqual({ status: 'fulfilled', value: { tripled: 12 } });
      await settle();
      expect(seen).toEqual([triple.batchSubject]);
      expect(handled.sort()).toEqual([-2, 1, 13, 4].sort());
    });

    it('sends a lone request on the contract subject, and later turns in their own batches', async () => {
      const batcher = new RequestBatcher(bus, triple);
      await expect(batcher.request({ n: 2 })).resolves.toEqual({ tripled: 6 });
      await expect(Promise.all([batcher.request({ n: 3 }), batcher.request({ n: 5 })])).resolves.toEqual([{ tripled: 9 }, { tripled: 15 }]);
      await settle();
      expect(seen).toEqual([triple.subject, triple.batchSubject]);
    });

    it(`splits a turn of more than ${MAX_BATCH_ITEMS} requests into batches of at most that many`, async () => {
      const batcher = new RequestBatcher(bus, triple);
      const ns = Array.from({ length: MAX_BATCH_ITEMS * 2 + 1 }, (_, i) => i + 100);
      await expect(Promise.all(ns.map((n) => batcher.request({ n })))).resolves.toEqual(ns.map((n) => ({ tripled: n * 3 })));
      await settle();
      // Two full batches and the one left over, alone.
      expect(seen.sort()).toEqual([triple.batchSubject, triple.batchSubject, triple.subject].sort());
    });

    it('fails every caller of a batch answered with a result count that does not match', async () => {
      const batcher = new RequestBatcher(bus, skewed);
      const outcomes = await Promise.allSettled([1, 2].map((n) => batcher.request({ n })));
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(BusContractError);
    });

    it('fails only the caller whose result is outside the contract', async () => {
      const batcher = new RequestBatcher(bus, skewed);
      const outcomes = await Promise.allSettled([1, 2, 3].map((n) => batcher.request({ n })));
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { ok: true } });
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(BusContractError);
      expect(outcomes[2]).toEqual({ status: 'fulfilled', value: { ok: true } });
    });

    it('sends each request alone when nothing answers the batch subject (a peer from before batching)', async () => {
      const batcher = new RequestBatcher(bus, legacy);
      legacyRequests = 0;
      await expect(Promise.all([1, 2, 3].map((n) => batcher.request({ n })))).resolves.toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(legacyRequests).toBe(3);
    });

    it(`keeps a batch within ${MAX_BATCH_BYTES} bytes, and sends a bigger request alone`, async () => {
      const batcher = new RequestBatcher(bus, blob);
      // Twenty of 32,000 quotes (64 kB of JSON each, bounded at 192 kB), two to a batch, and one of
      // 290,000 characters, alone. As one batch they would pass NATS's 1 MB limit.
      const strings = [...Array.from({ length: 20 }, () => '"'.repeat(32_000)), 'x'.repeat(290_000)];
      await expect(Promise.all(strings.map((s) => batcher.request({ s })))).resolves.toEqual(strings.map((s) => ({ length: s.length })));
      await settle();
      expect(seen.filter((s) => s === blob.batchSubject)).toHaveLength(10);
      expect(seen.filter((s) => s === blob.subject)).toHaveLength(1);
    });

    it('answers each item of a batch on its own, a malformed one with its own invalid-argument', async () => {
      const data = { items: [{ n: 2 }, { n: 'two' }, { n: 3, extra: 1 }, { n: 5 }] };
      const reply = await client.request(triple.batchSubject, Buffer.from(JSON.stringify({ pattern: triple.batchSubject, data, id: '1' })), { timeout: 5000 });
      const { results } = (JSON.parse(Buffer.from(reply.data).toString()) as { response: { value: { results: unknown[] } } }).response.value;
      expect(results).toEqual([
        { ok: true, value: { tripled: 6 } },
        { ok: false, error: expect.objectContaining({ code: 'invalid-argument' }) },
        { ok: false, error: expect.objectContaining({ code: 'invalid-argument' }) },
        { ok: true, value: { tripled: 15 } },
      ]);
      expect(handled.sort()).toEqual([2, 5]);
    });

    it('fails every caller when nobody answers, batched or alone', async () => {
      const batcher = new RequestBatcher(bus, unanswered);
      const outcomes = await Promise.allSettled([1, 2].map((n) => batcher.request({ n })));
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(BusUnavailableError);
    });

    it('refuses a batch outside its contract as invalid-argument', async () => {
      const tooMany = Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ({ n: 1 }));
      for (const data of [{ items: tooMany }, { items: [] }, { items: 'x' }]) {
        const reply = await client.request(triple.batchSubject, Buffer.from(JSON.stringify({ pattern: triple.batchSubject, data, id: '1' })), { timeout: 5000 });
        expect(JSON.parse(Buffer.from(reply.data).toString())).toMatchObject({ response: { ok: false, error: { code: 'invalid-argument' } } });
      }
      expect(handled).toEqual([]);
    });
  });

  it('takes a request over NATS\'s payload limit in parts, sent one at a time to the instance that opened the upload', async () => {
    await expect(bus.request(large, { s: LARGE })).resolves.toEqual({ length: LARGE.length, same: true });
    // Twice at once: each its own upload.
    await expect(Promise.all([bus.request(large, { s: LARGE }), bus.request(large, { s: LARGE })])).resolves.toEqual([
      { length: LARGE.length, same: true },
      { length: LARGE.length, same: true },
    ]);
  });

  it('sends a reply over NATS\'s payload limit (1 MiB) in parts that the client joins whole', async () => {
    const { s: text } = await bus.request(huge, {});
    expect(text.length).toBe(3_300_000);
    expect(/^x+$/.test(text)).toBe(true);
  });

  describe('streamed answers (reply-stream.ts)', () => {
    it('arrive whole and in order, in chunks that each fit one message', async () => {
      const { head, body } = await bus.stream(stream, { mib: 20 });
      let text = '';
      let chunks = 0;
      for await (const chunk of body) {
        expect(chunk.length).toBeLessThanOrEqual(STREAM_CHUNK_BYTES);
        chunks++;
        text += chunk.toString();
      }
      expect(text.length).toBe(head.pieces * PIECE);
      expect(chunks).toBe(Math.ceil(text.length / STREAM_CHUNK_BYTES));
      for (let i = 0; i < head.pieces; i++) expect(text.charCodeAt(i * PIECE)).toBe(97 + (i % 26));
      expect(produced).toEqual({ pieces: head.pieces, closed: true });
    });

    it('are paced by the consumer: unread, the producer stops after the window', async () => {
      const { body } = await bus.stream(stream, { mib: 50 });
      const reader = body[Symbol.asyncIterator]();
      await reader.next();
      await new Promise((r) => setTimeout(r, 500));
      // One chunk taken, the window in flight, and the piece being cut: nowhere near 50 MiB.
      const bound = ((STREAM_WINDOW + 2) * STREAM_CHUNK_BYTES) / PIECE + 1;
      expect(produced.pieces).toBeLessThanOrEqual(bound);
      for (let i = 0; i < 10; i++) await reader.next();
      await new Promise((r) => setTimeout(r, 200));
      expect(produced.pieces).toBeGreaterThan(bound);
      expect(produced.pieces).toBeLessThanOrEqual(bound + (10 * STREAM_CHUNK_BYTES) / PIECE + 1);
      // Stopping early cancels: the producer is closed, not left waiting.
      await reader.return!(undefined);
      await waitFor('the producer to close', () => produced.closed, 4000);
      expect(produced.pieces * PIECE).toBeLessThan(10 * 1024 * 1024);
    });

    it('fail at the consumer when the body fails midway, never ending as if complete', async () => {
      const { body } = await bus.stream(stream, { mib: 5, failAt: 200 });
      await expect(readWhole(body)).rejects.toThrow(/failed midway/);
      expect(internalErrors.length).toBeGreaterThan(0);
    });

    it('are refused as a whole answer (request), and a streamed contract is refused a plain reply', async () => {
      await expect(bus.request(stream, { mib: 1 })).rejects.toThrow(/use BusClient.stream/);
      await expect(bus.stream(huge as never, {} as never)).rejects.toBeInstanceOf(BusContractError);
    });

    it('never acknowledge to a subject outside the service asked', async () => {
      const peer = infra.track(await connect(nats('policy')));
      const published: string[] = [];
      const spy = infra.track(await connect(nats('policy')));
      spy.subscribe('am.policy.test.victim', { callback: (_e, m) => published.push(m.subject) });
      peer.subscribe(misdirected.subject, {
        callback: (_e, m) => {
          const h = headers();
          h.set(STREAM_HEADER, 'am.policy.test.victim');
          m.respond(Buffer.from(JSON.stringify({ response: { ok: true, value: { pieces: 1 } }, isDisposed: false })), { headers: h });
        },
      });
      await peer.flush();
      await spy.flush();
      await expect(bus.stream(misdirected, {})).rejects.toThrow(/outside the service asked/);
      await new Promise((r) => setTimeout(r, 200));
      expect(published).toEqual([]);
    });
  });

  it('on close, answers what it has taken before the connection goes', async () => {
    const answer = bus.request(slow, {});
    await slowStarted;
    let isClosed = false;
    const closed = server.close().then(() => (isClosed = true));
    const closedAgain = server.close(); // a second caller waits for the same drain
    await new Promise((r) => setTimeout(r, 200));
    expect(isClosed).toBe(false); // still waiting for the slow handler
    release();
    await expect(answer).resolves.toEqual({ done: true });
    await closed;
    await closedAgain;
  });
});
