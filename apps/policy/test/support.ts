import { exportUniverseContract, readWhole, type BusClient, type RequestOf } from '@am/bus';
import { connectBus, loadConfig, type BusConnection } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { policySettings, startPolicy } from '../src/start';

export const ALICE = 'am://user/hpe/bu1/alice';
export const BOB = 'am://user/hpe/bu1/bob';
export const GOD = 'am://user/demo-god';
export const OPERATOR = 'am://user/the-operator';

export type Policy = Awaited<ReturnType<typeof startPolicy>>;

export async function startPolicyIn(infra: TestInfra, extra: Record<string, string> = {}): Promise<Policy> {
  return infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', extra))));
}

/** A bus client with the gateway's NATS user (the way requests reach policy in production). */
export async function gatewayBus(infra: TestInfra): Promise<BusConnection> {
  const env = infra.env('gateway');
  const conn = await connectBus({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: env.AM_NATS_USER, AM_NATS_PASSWORD: env.AM_NATS_PASSWORD }, 'test-client');
  infra.track(conn);
  return conn;
}

/** An export read whole, as `{revision, text}`. */
export async function exportText(bus: BusClient, request: RequestOf<typeof exportUniverseContract>): Promise<{ revision: number; text: string }> {
  const { head, body } = await bus.stream(exportUniverseContract, request);
  return { revision: head.revision, text: (await readWhole(body)).toString() };
}
