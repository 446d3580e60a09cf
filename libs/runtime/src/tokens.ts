/** Nest injection tokens of what the service runtime provides to every app module. */
export const ETCD = Symbol('etcd client');
export const LOGGER = Symbol('pino logger');
export const METRICS = Symbol('prometheus registry');
export const CONFIG = Symbol('validated configuration');
export const KEYS = Symbol('etcd key layout');
