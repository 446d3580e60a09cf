export * from './deadline';
export * from './etcd';
export * from './etcd-access';
export * from './ignored-records';
export * from './keys';
export * from './metadata';
export * from './range-scan';
