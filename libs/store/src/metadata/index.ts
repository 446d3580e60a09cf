export * from './codec';
export * from './events';
export * from './layout';
export * from './meta-store';
export * from './projection';
export * from './history';
export * from './log';
export * from './history-keeper';
