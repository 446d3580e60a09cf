export * from './backend';
export * from './config';
export * from './logger';
export * from './metrics';
export * from './service-main';
export * from './tokens';
