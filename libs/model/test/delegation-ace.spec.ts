import { delegationAceRoles, delegationAceSatisfied, InvalidArgumentError, mergeDelegationAces, normalizeDelegationAce, MAX_DELEGATION_ACLS } from '../src';

const acl = (...roles: string[]) => ({ roles });

describe('delegation ACEs', () => {
  it('normalises role paths and drops duplicate roles and ACLs (compared as sets)', () => {
    const ace = normalizeDelegationAce({ acls: [acl('am://role/a/', 'am://role/b', 'am://role/a'), acl('am://role/b', 'am://role/a')] }, 'targetAce');
    expect(ace).toEqual({ acls: [acl('am://role/a', 'am://role/b')] });
    expect(delegationAceRoles({ acls: [acl('am://role/a', 'am://role/b'), acl('am://role/b', 'am://role/c')] })).toEqual(['am://role/a', 'am://role/b', 'am://role/c']);
  });

  it.each([
    ['an ACL without roles', { acls: [acl()] }, /without roles can never be satisfied/],
    ['a principal instead of a role', { acls: [acl('am://user/bob')] }, /am:\/\/user\/bob is not a role/],
    ['am://role itself', { acls: [acl('am://role')] }, /not a role/],
    ['a malformed path', { acls: [acl('am://role/a b')] }, /characters outside/],
  ])('refuses %s', (_case, ace, message) => {
    expect(() => normalizeDelegationAce(ace, 'targetAce')).toThrow(InvalidArgumentError);
    expect(() => normalizeDelegationAce(ace, 'targetAce')).toThrow(message);
  });

  it('merges as a conjunction: every ACL of both, each once, bounded', () => {
    const a = { acls: [acl('am://role/x'), acl('am://role/y', 'am://role/z')] };
    const b = { acls: [acl('am://role/z', 'am://role/y'), acl('am://role/w')] };
    expect(mergeDelegationAces(a, b)).toEqual({ acls: [acl('am://role/x'), acl('am://role/y', 'am://role/z'), acl('am://role/w')] });
    const many = (prefix: string) => ({ acls: Array.from({ length: MAX_DELEGATION_ACLS }, (_, i) => acl(`am://role/${prefix}${i}`)) });
    expect(() => mergeDelegationAces(many('p'), many('q'))).toThrow(/at most 16 ACLs/);
  });

  it('is satisfied as §4.1 says: AND of ORs, exact role strings, empty ACE always', () => {
    const ace = { acls: [acl('am://role/x', 'am://role/y'), acl('am://role/z')] };
    expect(delegationAceSatisfied(ace, new Set(['am://role/y', 'am://role/z']))).toBe(true);
    expect(delegationAceSatisfied(ace, new Set(['am://role/x']))).toBe(false);
    expect(delegationAceSatisfied(ace, new Set(['am://role/x/sub', 'am://role/z']))).toBe(false);
    expect(delegationAceSatisfied({ acls: [] }, new Set())).toBe(true);
  });
});
