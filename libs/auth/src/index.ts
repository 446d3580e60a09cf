export * from './caller-resolver';
export * from './key-catch-up';
export * from './signing-key-directory';
export * from './certificate-credential';
