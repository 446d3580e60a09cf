export * from './contracts';
export * from './client';
export * from './envelope';
export * from './batch';
export * from './transport';
export * from './message-parts';
export * from './reply-stream';
