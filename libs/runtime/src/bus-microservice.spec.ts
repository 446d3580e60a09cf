import { BusClient, contract, handler, natsConnectionOptions } from '@am/bus';
import { InternalError, NotFoundError } from '@am/model';
import { TestInfra } from '@am/testing';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { z } from 'zod';
import { startBusMicroservice, type BusMicroservice } from './backend';

const double = contract('am.test.double', z.strictObject({ n: z.number().int() }), z.strictObject({ doubled: z.number() }));
const missing = contract('am.test.missing', z.strictObject({}), z.strictObject({}));
const broken = contract('am.test.broken', z.strictObject({}), z.strictObject({}));
const slow = contract('am.test.slow', z.strictObject({}), z.strictObject({ done: z.literal(true) }));

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

  beforeAll(async () => {
    infra = await TestInfra.start();
    const nats = (service: 'policy' | 'gateway') => {
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
