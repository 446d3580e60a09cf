export * from './core';
export * from './policy';
export * from './identity';
export * from './pki';
