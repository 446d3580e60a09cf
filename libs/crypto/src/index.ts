export * from './master-key';
export * from './jwt';
