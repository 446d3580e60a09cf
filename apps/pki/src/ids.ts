import { randomBytes } from 'node:crypto';

/** Event ids sort by time: 13-digit Unix ms, then randomness against collisions between replicas. */
export const newEventId = (): string => `${Date.now().toString().padStart(13, '0')}-${randomBytes(6).toString('hex')}`;

/** CRL times are whole seconds (UTCTime/GeneralizedTime have no fraction); stored as ISO. */
export const wholeSecondsIso = (date: Date): string => new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
