export * from './backend';
export * from './bus-client';
export * from './bus-server';
export * from './config';
export * from './logger';
export * from './metrics';
export * from './service-main';
export * from './bus-strategy';
