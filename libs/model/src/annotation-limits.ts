/**
 * What one annotation may hold, checked where annotations come in (a write, a universe file) and
 * not where stored ones are read back, so data stored under older rules still loads.
 */
import { annotationToJson } from './annotation-json';
import { Annotation } from './annotations';
import { PayloadTooLargeError } from './errors';
import { checkTimeWindow } from './time-window';

/**
 * Bytes of one annotation in its stored (export JSON) form. A replacing write carries it four times
 * in one etcd request (the compared old value, the new value, the event's before and after), and
 * etcd refuses requests over 1.5 MiB by default: 256 KiB keeps every such write well inside it.
 */
export const MAX_ANNOTATION_BYTES = 256 * 1024;

export function annotationBytes(a: Annotation): number {
  return Buffer.byteLength(JSON.stringify(annotationToJson(a)), 'utf8');
}

/** Throws invalid-argument (a time window that never opens) or payload-too-large. */
export function checkAnnotationLimits(a: Annotation): void {
  checkTimeWindow(a);
  const bytes = annotationBytes(a);
  if (bytes > MAX_ANNOTATION_BYTES) {
    throw new PayloadTooLargeError(`the annotation is ${bytes} bytes, larger than ${MAX_ANNOTATION_BYTES} bytes (the limit for one annotation)`, 'data');
  }
}
