export const READINESS = Symbol('readiness probe');
