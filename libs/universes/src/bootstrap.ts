/**
 * `bootstrap`: the smallest useful universe (universe-format §9.1). The four roots, one role
 * (operator-admin) and one principal holding it (the operator). Only holders of operator-admin
 * can see the operator and its role, and only they can change anything at the top of the tree.
 */
import { ace, applied, buildUniverse, dir, localAce, principal, role, type MetaJson, type UniverseNodeJson } from './builder';
import { OPERATOR_ADMIN } from './roles';

const onlyOperator = [OPERATOR_ADMIN];
/** ADMIN and WRITE on this node itself, for the operator. */
const operatorOwned = (): MetaJson[] => [localAce('ADMIN', onlyOperator), localAce('WRITE', onlyOperator)];

export function bootstrapUniverse(): UniverseNodeJson {
  return buildUniverse(
    dir(operatorOwned(), {
      data: dir(operatorOwned()),
      role: dir(operatorOwned(), {
        'operator-admin': role(ace('USEROLE', onlyOperator), ace('APPLYROLE', onlyOperator), ace('VIEW', onlyOperator)),
      }),
      user: dir(operatorOwned(), {
        'the-operator': principal(applied(OPERATOR_ADMIN), ace('ADMIN', onlyOperator), ace('VIEW', onlyOperator), localAce('WRITE', onlyOperator)),
      }),
      workload: dir(operatorOwned()),
    }),
    100n,
  );
}
