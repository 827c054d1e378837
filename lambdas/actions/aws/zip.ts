/**
 * A minimal ZIP writer for Lambda code packages: a few files, deflated, in memory. Deterministic: the same
 * files give the same bytes (fixed timestamps, given order), so the same code gets the same CodeSha256 and
 * redeploying it publishes no new Lambda version. No ZIP64: a package is far below 4 GiB (Lambda takes 50 MB).
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** A relative path with forward slashes, e.g. `bundle.js`. */
  readonly name: string;
  readonly content: Buffer;
  /** Unix permission bits. @default 0o644 */
  readonly mode?: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION = 20;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
/** 1980-01-01 00:00:00, the earliest MS-DOS date: no build time leaks into the bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MAX_32 = 0xffffffff;

export function createZip(entries: readonly ZipEntry[]): Buffer {
  const names = new Set<string>();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (!entry.name || entry.name.startsWith('/') || entry.name.split('/').includes('..')) {
      throw new RangeError(`A zip entry name must be a relative path, got ${JSON.stringify(entry.name)}`);
    }
    if (names.has(entry.name)) throw new RangeError(`The zip entry ${entry.name} appears twice`);
    names.add(entry.name);
    const name = Buffer.from(entry.name, 'utf8');
    const data = deflateRawSync(entry.content, { level: 9 });
    const checksum = crc32(entry.content);
    if (entry.content.length > MAX_32 || data.length > MAX_32 || offset > MAX_32) {
      throw new RangeError(`The zip entry ${entry.name} is too large for a zip without ZIP64`);
    }

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(entry.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, data);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(MADE_BY_UNIX, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(DEFLATE, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(checksum, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(entry.content.length, 24);
    header.writeUInt16LE(name.length, 28);
    // Extra field, comment, disk number and internal attributes stay 0.
    header.writeUInt32LE((((entry.mode ?? 0o644) | 0o100000) << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);

    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
