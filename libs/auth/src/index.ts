export * from './caller-resolver';
export * from './signing-key-directory';
