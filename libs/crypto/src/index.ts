export * from './master-key';
