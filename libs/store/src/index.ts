export * from './deadline';
export * from './etcd';
export * from './keys';
export * from './metadata';
