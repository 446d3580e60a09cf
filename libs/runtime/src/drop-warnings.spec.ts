import { DropWarnings } from './drop-warnings';

describe('DropWarnings', () => {
  it('logs the first drop of a subject, then at most one per interval saying how many it did not log', () => {
    const lines: unknown[] = [];
    let now = 0;
    const warnings = new DropWarnings({ warn: (obj: unknown) => void lines.push(obj) } as never, () => now, 1000);
    for (let i = 0; i < 50; i++) warnings.dropped('am.policy.check', 'am.events.metadata');
    warnings.dropped('am.identity.vouch', 'x'.repeat(500));
    expect(lines).toEqual([
      { subject: 'am.policy.check', reply: 'am.events.metadata' },
      { subject: 'am.identity.vouch', reply: 'x'.repeat(200) },
    ]);
    now = 1000;
    warnings.dropped('am.policy.check', 'am.events.metadata');
    expect(lines[2]).toEqual({ subject: 'am.policy.check', reply: 'am.events.metadata', notLogged: 49 });
    now = 5000;
    warnings.dropped('am.policy.check', 'again');
    expect(lines[3]).toEqual({ subject: 'am.policy.check', reply: 'again' });
  });
});
