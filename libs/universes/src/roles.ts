/** Role paths used by the built-in universes. */
export const OPERATOR_ADMIN = 'am://role/operator-admin';
export const PANOPTICON = 'am://role/panopticon';

export const HPE = {
  user: 'am://role/hpe/hpe-user',
  admin: 'am://role/hpe/hpe-admin',
  workload: 'am://role/hpe/hpe-workload',
  idPlugin: 'am://role/hpe/id-plugin',
  special: 'am://role/hpe/bu1/hpe-special',
  bu1: {
    admin: 'am://role/hpe/bu1/bu1-admin',
    user: 'am://role/hpe/bu1/bu1-user',
    workload: 'am://role/hpe/bu1/bu1-workload',
    aggregator: 'am://role/hpe/bu1/bu1-aggregator',
    query: 'am://role/hpe/bu1/bu1-query',
    ingest: 'am://role/hpe/bu1/bu1-ingest',
  },
  bu2: {
    admin: 'am://role/hpe/bu2/bu2-admin',
    user: 'am://role/hpe/bu2/bu2-user',
  },
} as const;

export const YOYODYNE = {
  user: 'am://role/yoyodyne/yoyo-user',
  admin: 'am://role/yoyodyne/yoyo-admin',
  idPlugin: 'am://role/yoyodyne/id-plugin',
  /** Applied to yoyodyne/charlie but never defined: shows how a dangling role is reported. */
  special: 'am://role/yoyodyne/yoyo-special',
  daos: {
    raw: 'am://role/yoyodyne/daos/raw',
    ref: 'am://role/yoyodyne/daos/ref',
    std: 'am://role/yoyodyne/daos/std',
  },
} as const;
