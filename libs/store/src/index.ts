export * from './deadline';
export * from './etcd';
export * from './etcd-access';
export * from './keys';
export * from './metadata';
