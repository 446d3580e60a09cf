/**
 * Errors of the X.509 library. `X509InputError` means the caller's input (a CSR, a certificate,
 * a request field) was refused: the service maps it to 400 and keeps serving. `X509Error` is any
 * other failure, e.g. an issuer that has expired.
 */
export class X509Error extends Error {
  override name = 'X509Error';
  constructor(
    message: string,
    readonly code: string = 'x509-error',
  ) {
    super(message);
  }
}

export class X509InputError extends X509Error {
  override name = 'X509InputError';
  constructor(message: string, code = 'invalid-input') {
    super(message, code);
  }
}

/** Runs `fn`; any non-X509 exception (e.g. from node:crypto on hostile bytes) becomes an X509InputError. */
export function asInputError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof X509Error) throw err;
    throw new X509InputError(`${what}: ${(err as Error).message}`);
  }
}
