export * from './etcd';
export * from './keys';
