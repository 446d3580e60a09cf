import type { Etcd3 } from 'etcd3';
import { exportUniverseText, parseUniverseText } from '@am/model';
import { TestInfra } from '@am/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '../../../../fixtures/hpe-universes/new_sample.json');

/** new_sample, parsed as the store holds it. */
export const small = () => parseUniverseText(readFileSync(FIXTURE, 'utf8'), { renumberDuplicates: true }).universe;
export const text = (u: Parameters<typeof exportUniverseText>[0]) => exportUniverseText(u);

/** Real etcd for the enclosing describe: started before its tests, stopped after. */
export function realEtcd(): { infra: TestInfra; etcd: Etcd3 } {
  const held = {} as { infra: TestInfra; etcd: Etcd3 };
  beforeAll(async () => {
    held.infra = await TestInfra.start();
    held.etcd = held.infra.etcdClient();
  });
  afterAll(async () => {
    held.etcd?.close();
    await held.infra?.stop();
  });
  return held;
}
