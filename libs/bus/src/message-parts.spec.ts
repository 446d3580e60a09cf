import { randomBytes } from 'node:crypto';
import { MAX_MESSAGE_BYTES, PART_HEADER, PARTS_HEADER, PartsAssembler, messageParts } from './message-parts';

describe('messages in parts', () => {
  it('sends a reply that fits as one message without headers', () => {
    const data = Buffer.from('{"small":true}');
    expect(messageParts(data, 1024 * 1024)).toEqual([{ data }]);
    expect(new PartsAssembler().add({ data, headers: undefined })).toBe(data);
  });

  it('cuts a large reply into parts that each fit, and joins them back byte for byte', () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const parts = messageParts(data, 1024 * 1024);
    expect(parts).toHaveLength(4);
    for (const p of parts) expect(p.data.length).toBeLessThanOrEqual(1024 * 1024 - 4096);
    const joiner = new PartsAssembler();
    const results = parts.map((p) => joiner.add(p as never));
    expect(results.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(Buffer.from(results[3]!).equals(data)).toBe(true);
  });

  it('refuses a part out of order, and a reply larger than it will hold', () => {
    const parts = messageParts(randomBytes(20_000), 4096 + 1024);
    expect(() => new PartsAssembler().add(parts[1] as never)).toThrow('part 1 of 20 arrived out of order');
    const huge = { get: (h: string) => (h === PARTS_HEADER ? '1000' : h === PART_HEADER ? '0' : '') };
    expect(() => new PartsAssembler().add({ data: Buffer.alloc(MAX_MESSAGE_BYTES + 1), headers: huge } as never)).toThrow('larger than 256 MiB');
  });
});
