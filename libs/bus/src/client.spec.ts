import { InvalidArgumentError, NotFoundError, UnauthenticatedError } from '@am/model';
import { TestInfra } from '@am/testing';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { z } from 'zod';
import { BusClient, BusContractError, BusUnavailableError } from './client';
import { contract } from './contracts';
import { natsConnectionOptions } from './transport';

const echo = contract('am.policy.test.echo', z.object({ n: z.number().int() }).strict(), z.object({ doubled: z.number() }));
const liar = contract('am.policy.test.liar', z.object({}).strict(), z.object({ ok: z.literal(true) }));
const refuser = contract('am.policy.test.refuser', z.object({}).strict(), z.object({}));
const nobody = contract('am.policy.test.nobody', z.object({}).strict(), z.object({}));
const authed = contract('am.policy.test.authed', z.object({ credential: z.string().max(10), n: z.number() }).strict(), z.object({}));

describe('BusClient over a real nats-server', () => {
  let infra: TestInfra;
  let responder: NatsConnection;
  let client: NatsConnection;
  let bus: BusClient;

  beforeAll(async () => {
    infra = await TestInfra.start();
    const env = infra.env('policy');
    responder = await connect({ servers: infra.nats.url, user: env.AM_NATS_USER, pass: env.AM_NATS_PASSWORD });
    const jc = JSONCodec<{ data: { n: number }; id: string }>();
    // Answer the way a Nest microservice does: { response, isDisposed, id }.
    responder.subscribe(echo.subject, {
      callback: (_e, m) => {
        const req = jc.decode(m.data);
        m.respond(JSON.stringify({ response: { ok: true, value: { doubled: req.data.n * 2 } }, isDisposed: true, id: req.id }));
      },
    });
    responder.subscribe(liar.subject, {
      callback: (_e, m) => m.respond(JSON.stringify({ response: { ok: true, value: { ok: 'maybe' } }, isDisposed: true, id: jc.decode(m.data).id })),
    });
    responder.subscribe(refuser.subject, {
      callback: (_e, m) =>
        m.respond(JSON.stringify({ response: { ok: false, error: { code: 'not-found', message: 'am://x not found' } }, isDisposed: true, id: jc.decode(m.data).id })),
    });
    await responder.flush();
    const gw = infra.env('gateway');
    client = await connect(natsConnectionOptions({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'test'));
    bus = new BusClient(() => client, 1000);
  });
  afterAll(async () => {
    await client?.close();
    await responder?.close();
    await infra.stop();
  });

  it('sends a validated request and returns the validated reply', async () => {
    await expect(bus.request(echo, { n: 21 })).resolves.toEqual({ doubled: 42 });
  });

  it('refuses to send a request outside the contract: a caller mistake, not an internal error', async () => {
    await expect(bus.request(echo, { n: 1.5 })).rejects.toThrow(InvalidArgumentError);
    await expect(bus.request(echo, { n: 1, extra: true } as never)).rejects.toThrow('invalid request: ');
    // A credential out of shape (an 8 KiB "token") is refused as unauthenticated, whatever else is wrong.
    await expect(bus.request(authed, { credential: 'x'.repeat(11), n: 'no' as never })).rejects.toThrow(UnauthenticatedError);
    await expect(bus.request(authed, { credential: 'ok', n: 'no' as never })).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects a reply outside the contract', async () => {
    await expect(bus.request(liar, {})).rejects.toThrow(BusContractError);
  });

  it('rethrows a typed error reply as the matching error class', async () => {
    const err = await bus.request(refuser, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'not-found', message: 'am://x not found' });
  });

  it('reports a subject nobody serves as unavailable, quickly', async () => {
    await expect(bus.request(nobody, {})).rejects.toThrow(BusUnavailableError);
  });
});
