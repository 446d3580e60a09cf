export * from './master-key';
export * from './jwt';
export * from './x509';
export * from './ssh/authorized-key';
