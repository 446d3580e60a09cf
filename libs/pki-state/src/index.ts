export * from './layout';
export * from './records';
export * from './view';
