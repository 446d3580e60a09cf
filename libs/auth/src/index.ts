export * from './caller-resolver';
export * from './signing-key-directory';
export * from './certificate-credential';
