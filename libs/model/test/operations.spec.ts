import { formatOperationList, Op, operationName, parseOperation } from '@am/model';

describe('operations (§3)', () => {
  test.each([
    ['READ', Op.READ],
    ['read', Op.READ],
    ['ApplyRole', Op.APPLYROLE],
    ['vouchfor', Op.VOUCHFOR],
    [1, Op.READ],
    [7, Op.VOUCHFOR],
    ['3', Op.VIEW],
  ])('parses %j', (input, op) => expect(parseOperation(input)).toBe(op));

  test.each(['INVALID', 'invalid', 0, 8, -1, 'FLY', '', null, 2.5])('rejects %j as invalid-argument', (input) => {
    expect(() => parseOperation(input)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });

  test('outputs upper-case names', () => {
    expect(operationName(Op.USEROLE)).toBe('USEROLE');
    expect(formatOperationList([Op.READ, Op.WRITE])).toBe('[READ WRITE]');
  });
});
