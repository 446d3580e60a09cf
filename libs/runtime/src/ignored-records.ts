import { IgnoredRecords } from '@am/store';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/**
 * The process's record of untrusted etcd records, wired to its log (each record once, when first
 * seen) and to the `am_ignored_records` gauge. Shared by every view of the process.
 */
export function reportedIgnoredRecords(log: Logger, metrics: Registry): IgnoredRecords {
  const ignored = new IgnoredRecords((key, reason) => log.warn({ key, reason }, 'ignoring an etcd record that does not authenticate; it is not used'));
  new Gauge({
    name: 'am_ignored_records',
    help: 'etcd records not used because they do not authenticate (planted, tampered or malformed)',
    registers: [metrics],
    collect() {
      this.set(ignored.size);
    },
  });
  return ignored;
}
