import { randomBytes } from 'node:crypto';

/**
 * UUIDv7 event ids (RFC 9562): 48-bit Unix milliseconds, then random bits. Ids sort by time, so the server's
 * de-duplication window and a reader can rely on order, and they need no coordination between processes.
 *
 * Cheap by design (one per recorded event): the random part is drawn once per process and a 32-bit sequence makes
 * every id of this process distinct; 42 random bits per process make collisions between processes negligible.
 */
const rnd = randomBytes(6);
const randA = (rnd.readUInt16BE(0) & 0x0fff).toString(16).padStart(3, '0');
// variant bits 10xx, then 28 random bits: 'v' + 7 hex chars, the remaining 8 hex chars are the sequence.
const randB = (((rnd.readUInt32BE(2) & 0x3fffffff) | 0x80000000) >>> 0).toString(16).padStart(8, '0').slice(0, 8);
let seq = (rnd.readUInt16BE(4) << 8) >>> 0;
// The id prefix of a millisecond, direct-mapped over 64 ms: events of one batch often carry a few distinct times
// (uploads to the collector), and rebuilding the prefix for each costs more than the rest of the id.
const SLOTS = 64;
const prefixMs = new Float64Array(SLOTS).fill(-1);
const prefixes: string[] = new Array<string>(SLOTS).fill('');

export function uuidv7(ms: number = Date.now()): string {
  // Mix in the second: times on whole seconds (common in uploads) would otherwise share 8 of the 64 slots.
  const slot = (ms ^ (ms / 1000)) & (SLOTS - 1);
  let msHex = prefixes[slot]!;
  if (prefixMs[slot] !== ms) {
    prefixMs[slot] = ms;
    const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
    msHex = `${h.slice(0, 8)}-${h.slice(8, 12)}-7${randA}-${randB.slice(0, 4)}-${randB.slice(4, 8)}`;
    prefixes[slot] = msHex;
  }
  seq = (seq + 1) >>> 0;
  const s = seq.toString(16);
  return msHex + '00000000'.slice(s.length) + s;
}

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
