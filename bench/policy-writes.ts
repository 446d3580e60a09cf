// Annotate acknowledgement latency through NATS (sequential and 32 in flight) and the delay from a
// commit on one policy instance to a second instance's projection. Real etcd and NATS, in process.
import { annotateContract, createNodeContract } from '@am/bus';
import { unwrap } from '@am/engine';
import { connectBus, loadConfig } from '@am/runtime';
import { TestInfra } from '@am/testing';
import { policySettings, startPolicy } from '@apps/policy';
import { percentile } from './support/load';

const OPERATOR = 'am://user/the-operator';
/** The value at `p` percent of samples in any order. */
const percentileOf = (xs: readonly number[], p: number) => percentile(Float64Array.from(xs).sort(), p / 100);
const elapsedMs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const infra = await TestInfra.start();
  try {
    const first = infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy', { AM_BOOT_UNIVERSE: 'new_sample' }))));
    const second = infra.track(await startPolicy(loadConfig(policySettings, infra.env('policy'))));
    const gw = infra.env('gateway');
    const { bus } = infra.track(await connectBus({ AM_NATS_URL: [infra.nats.url], AM_NATS_USER: gw.AM_NATS_USER, AM_NATS_PASSWORD: gw.AM_NATS_PASSWORD }, 'bench'));
    const path = 'am://data/bench';
    await bus.request(createNodeContract, { credential: OPERATOR, path, directory: true });
    const annotate = async (i: number) => {
      const t0 = process.hrtime.bigint();
      await bus.request(annotateContract, { credential: OPERATOR, path, annotation: { tag: 'bench', data: String(i) } });
      return elapsedMs(t0);
    };
    for (let i = 0; i < 50; i++) await annotate(i); // warm-up

    const sequential: number[] = [];
    for (let i = 0; i < 500; i++) sequential.push(await annotate(i));

    const concurrent: number[] = [];
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 32 }, async (_, w) => {
      for (let i = 0; i < 40; i++) concurrent.push(await annotate(w * 1000 + i));
    }));
    const concurrentRate = concurrent.length / (elapsedMs(t0) / 1000);

    const propagation: number[] = [];
    for (let i = 0; i < 300; i++) {
      // Commit straight to the store (not through first's handler, which waits for its own view).
      await first.projection.atLeast(second.projection.revision);
      const change = unwrap(first.projection.engine.authorize(OPERATOR, { kind: 'create-node', path: `${path}/p${i}`, directory: false }, Date.now()));
      const { revision } = await first.projection.store.commit(change, OPERATOR, first.projection.expectations());
      const t = process.hrtime.bigint();
      await second.projection.atLeast(revision);
      propagation.push(elapsedMs(t));
    }
    console.log(
      JSON.stringify({
        title: 'Policy writes: annotate acknowledgement and propagation to a second instance (new_sample, real etcd + NATS)',
        metrics: [
          { name: 'annotate ack p50 (sequential)', value: percentileOf(sequential, 50), unit: 'ms' },
          { name: 'annotate ack p99 (sequential)', value: percentileOf(sequential, 99), unit: 'ms' },
          { name: 'annotate ack p50 (32 in flight)', value: percentileOf(concurrent, 50), unit: 'ms' },
          { name: 'annotate ack p99 (32 in flight)', value: percentileOf(concurrent, 99), unit: 'ms' },
          { name: 'annotates/s (32 in flight)', value: concurrentRate, unit: 'req/s' },
          { name: 'propagation p50 (commit → second projection)', value: percentileOf(propagation, 50), unit: 'ms' },
          { name: 'propagation p99', value: percentileOf(propagation, 99), unit: 'ms' },
        ],
        notes: 'Ack = request sent by a NATS client until the reply, including the commit and the instance reading its own write. Two policy instances in the queue group, etcd 3.4 and nats-server on the same 2 cores. Goals: ack p50 < 10 ms, propagation p99 < 50 ms.',
      }),
    );
  } finally {
    await infra.stop();
  }
}

void main();
