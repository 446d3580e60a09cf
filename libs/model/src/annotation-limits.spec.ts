import { annotationFromJson } from './annotation-json';
import { checkAnnotationLimits, MAX_ANNOTATION_BYTES } from './annotation-limits';
import { PayloadTooLargeError } from './errors';
import { parseUniverse, parseUniverseText } from './universe-parse';

const note = (extra: Record<string, unknown>) => annotationFromJson({ tag: 'note', data: 'n', ...extra });
const roots = ['am://user', 'am://workload', 'am://role', 'am://data'].map((path) => ({ path }));

describe('annotation limits (issue 17 item 7)', () => {
  it('a time window that ends before it starts is refused, naming endMillis; no end (0) or a later end is fine', () => {
    expect(() => checkAnnotationLimits(note({ startMillis: 2000, endMillis: 1000 }))).toThrow(expect.objectContaining({ code: 'invalid-argument', field: 'endMillis', message: expect.stringMatching(/endMillis 1000 is before startMillis 2000/) }));
    expect(() => checkAnnotationLimits(note({ startMillis: 2000, endMillis: 0 }))).not.toThrow();
    expect(() => checkAnnotationLimits(note({ startMillis: 1000, endMillis: 2000 }))).not.toThrow();
  });

  it('an annotation over MAX_ANNOTATION_BYTES (UTF-8, stored form) is payload-too-large naming the limit', () => {
    expect(() => checkAnnotationLimits(note({ data: 'x'.repeat(MAX_ANNOTATION_BYTES - 200) }))).not.toThrow();
    // Multi-byte characters count as bytes, not as characters.
    const err = (() => {
      try {
        checkAnnotationLimits(note({ data: 'é'.repeat(MAX_ANNOTATION_BYTES / 2) }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toMatch(new RegExp(`larger than ${MAX_ANNOTATION_BYTES} bytes`));
  });

  it('a universe file is held to the same limits, every problem named with its node', () => {
    const file = { path: 'am://', children: [...roots.slice(0, 3), { path: 'am://data', meta: [{ tag: 'note', startMillis: '5', endMillis: '4' }, { tag: 'big', data: 'x'.repeat(MAX_ANNOTATION_BYTES) }] }] };
    expect(() => parseUniverse(file)).toThrow(/am:\/\/data: endMillis 4 is before startMillis 5.*am:\/\/data: the annotation is \d+ bytes, larger than/);
  });

  it('a universe nested deeper than a path can go stops at the depth limit, however deep the rest of the file is', () => {
    // 100 000 levels of nodes below am://data/a/a/… (32 components, the deepest valid path).
    let text = '{}';
    for (let i = 0; i < 100_000; i++) text = `{"children":[${text}]}`;
    for (let depth = 32; depth >= 1; depth--) {
      const path = depth === 1 ? 'am://data' : `am://data/${Array(depth - 1).fill('a').join('/')}`;
      text = `{"path":"${path}","children":[${text}]}`;
    }
    text = `{"path":"am://","children":[{"path":"am://user"},{"path":"am://workload"},{"path":"am://role"},${text}]}`;
    expect(() => parseUniverseText(text)).toThrow(/child #0: nested deeper than 32 levels below am:\/\//);
    expect(() => parseUniverse(JSON.parse(text))).toThrow(/nested deeper than 32 levels/);
  });
});
