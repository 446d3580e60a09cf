import { CliError } from './errors';

export interface RequestOptions {
  /** Query parameters; undefined values are left out, arrays repeat the parameter. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** Raw body text (sent as application/json). */
  text?: string;
  headers?: Record<string, string>;
  /** Send the caller's credential (default true when one is known). */
  auth?: boolean;
  /** Query parameters whose values are credentials (masked in -v output). */
  secretQuery?: string[];
  /** The body holds a credential: -v shows only its size. */
  secretBody?: boolean;
}

export interface GatewayResponse<T> {
  status: number;
  body: T;
  text: string;
  /** The body as received (for binary answers such as a DER CRL). */
  bytes: Buffer;
  revision?: number;
}

export interface GatewayOptions {
  baseUrl: string;
  credential?: string;
  verbose?: (line: string) => void;
  fetch: typeof fetch;
  timeoutMs?: number;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE']);
/** Items per page when the CLI reads a paged list (who-can, what-can, history, children). */
export const PAGE_SIZE = 1000;

/** Shows that a credential was sent without showing it: its first characters and length. */
export function mask(credential: string): string {
  const shown = credential.startsWith('am://') ? 'am://' : credential.slice(0, 4);
  return `${shown}…(${credential.length} chars)`;
}

/**
 * The gateway as the CLI sees it: one base URL, the caller's credential as a Bearer token, and
 * read-your-writes within one invocation — after a write, later requests carry its revision as
 * `AM-Consistency`, so the gateway answers from state at least that new.
 */
export class Gateway {
  /** Revision of the last write this invocation made. */
  lastWrite?: number;

  constructor(private readonly opts: GatewayOptions) {}

  get hasCredential(): boolean {
    return !!this.opts.credential;
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<GatewayResponse<T>> {
    const { res, url, revision, settled } = await this.send(method, path, options);
    const bytes = Buffer.from(await res.arrayBuffer().finally(settled));
    const text = bytes.toString('utf8');
    const body = parseJson(text);
    if (!res.ok) throw new CliError(problemText(res, body, text, method, url.pathname));
    if (WRITE_METHODS.has(method) && revision !== undefined) this.lastWrite = Math.max(this.lastWrite ?? 0, revision);
    return { status: res.status, body: body as T, text, bytes, revision };
  }

  /**
   * A paged list read whole: page after page of `limit` (the server's `next` as the following
   * cursor, every page at the first one's revision), the items under `key` joined in order, and
   * the first page's body otherwise.
   */
  async allPages<T extends Record<string, unknown>>(path: string, key: keyof T & string, options: RequestOptions = {}, limit = PAGE_SIZE): Promise<T> {
    const first = (await this.request<T & { next?: string }>('GET', path, { ...options, query: { ...options.query, limit } })).body;
    const items = [...(first[key] as unknown[])];
    for (let next = first.next; next; ) {
      const page = (await this.request<T & { next?: string }>('GET', path, { ...options, query: { ...options.query, limit, cursor: next } })).body;
      items.push(...(page[key] as unknown[]));
      next = page.next;
    }
    const { next: _, ...rest } = first;
    return { ...rest, [key]: items } as unknown as T;
  }

  /** A successful answer's body as it arrives (a large export), for a read; a failure is thrown as by request. */
  async stream(path: string, options: RequestOptions = {}): Promise<{ revision?: number; chunks: AsyncIterable<Uint8Array> }> {
    const { res, url, revision, settled } = await this.send('GET', path, options);
    // The timeout is for the answer to begin: a large body takes as long as it takes.
    settled();
    if (!res.ok) {
      const text = await res.text();
      throw new CliError(problemText(res, parseJson(text), text, 'GET', url.pathname));
    }
    // Node's fetch body is a web ReadableStream, which is async-iterable (the DOM typings omit it).
    return { revision, chunks: (res.body ?? []) as unknown as AsyncIterable<Uint8Array> };
  }

  /** Sends the request; the timeout runs until `settled` is called. */
  private async send(method: string, path: string, options: RequestOptions): Promise<{ res: Response; url: URL; revision?: number; settled: () => void }> {
    const url = new URL(this.opts.baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const credential = options.auth === false ? undefined : this.opts.credential;
    if (credential) headers.authorization = `Bearer ${credential}`;
    if (this.lastWrite !== undefined) headers['am-consistency'] = String(this.lastWrite);
    let payload: string | undefined = options.text;
    if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';

    if (this.opts.verbose) this.describe(method, url, headers, options.secretBody && payload !== undefined ? `(a body holding a credential, ${payload.length} bytes)` : payload, options.secretQuery ?? []);
    let res: Response;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('the gateway did not answer in time', 'TimeoutError')), this.opts.timeoutMs ?? 130_000);
    const settled = () => clearTimeout(timer);
    try {
      res = await this.opts.fetch(url, { method, headers, body: payload, signal: timeout.signal });
    } catch (err) {
      settled();
      const e = err as Error & { cause?: { code?: string; message?: string } };
      // A refusal of our own making (a pinned certificate that does not match) says it all.
      if (e.cause instanceof CliError) throw e.cause;
      if (err instanceof CliError) throw err;
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      const hint = /CERT|SIGNATURE|ISSUER|ALTNAME/.test(why) ? ' (its certificate is not trusted here: add it as a remote with am remote add, or give its CA with --cacert)' : '';
      throw new CliError(`cannot reach the gateway at ${this.opts.baseUrl}: ${why}${hint}`);
    }
    const revisionHeader = res.headers.get('am-revision');
    const revision = revisionHeader && /^\d+$/.test(revisionHeader) ? Number(revisionHeader) : undefined;
    this.opts.verbose?.(`< ${res.status} ${res.statusText}${revision === undefined ? '' : ` (AM-Revision ${revision})`}`);
    return { res, url, revision, settled };
  }

  private describe(method: string, url: URL, headers: Record<string, string>, payload: string | undefined, secretQuery: string[]): void {
    const shown = new URL(url);
    for (const name of secretQuery) {
      const v = shown.searchParams.get(name);
      if (v !== null) shown.searchParams.set(name, mask(v));
    }
    const log = this.opts.verbose!;
    log(`> ${method} ${shown.toString()}`);
    for (const [k, v] of Object.entries(headers)) log(`> ${k}: ${k === 'authorization' ? `Bearer ${mask(v.slice('Bearer '.length))}` : v}`);
    if (payload !== undefined) log(`> ${payload.length > 500 ? `${payload.slice(0, 500)}… (${payload.length} bytes)` : payload}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One line for a failed request: the problem's detail, else whatever message the body has. */
function problemText(res: Response, body: unknown, text: string, method: string, path: string): string {
  const b = (body ?? {}) as { detail?: unknown; message?: unknown; title?: unknown };
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (typeof b.detail === 'string' && b.detail) return oneLine(b.detail);
  if (typeof b.message === 'string' && b.message) return oneLine(b.message);
  if (typeof b.title === 'string' && b.title) return oneLine(b.title);
  if (res.status === 404) return `${method} ${path}: not served by this gateway (HTTP 404)`;
  const snippet = oneLine(text).slice(0, 200);
  return `HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`;
}

/** The body of a reference-compatible route: `{..., error: {error, message}}` (compat-rest §3.2). */
export function compatError(body: unknown): string | undefined {
  const status = (body as { error?: { error?: number; message?: string } } | undefined)?.error;
  if (status && status.error !== 0) return status.message || 'request failed';
  return undefined;
}
