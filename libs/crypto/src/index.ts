export * from './master-key';
export * from './record-auth';
export * from './jwt';
export * from './x509';
export * from './ssh/authorized-key';
