export * from './binaries';
export * from './etcd';
export * from './infra';
export * from './nats';
export * from './nats-config';
export * from './net';
export * from './process';
export * from './generate-universe';
