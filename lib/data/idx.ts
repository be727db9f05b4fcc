/**
 * IDX files: the format MNIST ships in (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").
 *
 *   bytes 0-1  zero
 *   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions d
 *   then       d sizes, each a big-endian uint32
 *   then       the elements, row-major (last index fastest), each big-endian
 *
 * Readers accept plain files and gzip-compressed ones (recognised by the gzip magic 1f 8b, whatever the
 * file is called), synchronously and asynchronously. A writer is included for tests and for users who
 * want to save data sets in the same format.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { constants as bufferConstants } from 'buffer';

const BUFFER_MAX_LENGTH = bufferConstants.MAX_LENGTH;

export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDType;
  /** Sizes, outermost first (MNIST images: [n, 28, 28]). */
  dims: number[];
  /**
   * The elements in row-major order, converted to the host's byte order. From readIdx/readIdxSync, uint8 and int8
   * data is a view of the buffer the file was read into, after its header (`data.byteOffset` is the header's size);
   * from parseIdx, always a copy.
   */
  data: IdxData;
}

interface TypeInfo {
  dtype: IdxDType;
  code: number;
  size: number;
}

const TYPES: readonly TypeInfo[] = [
  { dtype: 'uint8', code: 0x08, size: 1 },
  { dtype: 'int8', code: 0x09, size: 1 },
  { dtype: 'int16', code: 0x0b, size: 2 },
  { dtype: 'int32', code: 0x0c, size: 4 },
  { dtype: 'float32', code: 0x0d, size: 4 },
  { dtype: 'float64', code: 0x0e, size: 8 },
];

/** IDX type byte for each element type. */
export const IDX_TYPE_CODES: { readonly [K in IdxDType]: number } = Object.freeze(
  Object.fromEntries(TYPES.map((t) => [t.dtype, t.code])) as { [K in IdxDType]: number },
);

/** A malformed or unsupported IDX file; `source` names the file (or '<buffer>'). */
export class IdxFormatError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'IdxFormatError';
  }
}

function hex(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/** Whether the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function dtypeOf(data: unknown): IdxDType | null {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return null;
}

/**
 * Decodes an (uncompressed) IDX image. The result owns its memory (it does not keep `bytes` alive).
 * Throws IdxFormatError for a bad magic, an unsupported element type, truncated data or trailing bytes.
 */
export function parseIdx(bytes: Uint8Array, source = '<buffer>'): IdxArray {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`parseIdx: bytes must be a Uint8Array or Buffer, got ${describe(bytes)}`);
  }
  return decode(bytes, source, false);
}

/**
 * parseIdx; `owned`: the bytes are the reader's own (a file read or inflated into a buffer of its own), so a uint8
 * or int8 result is a view of them after the header rather than a copy (the training images: 47 MB, ~20 ms).
 */
function decode(bytes: Uint8Array, source: string, owned: boolean): IdxArray {
  if (isGzip(bytes)) {
    throw new IdxFormatError('data is gzip-compressed; use readIdxSync/readIdx or gunzip it first', source);
  }
  const { type, dims, count, headerBytes, dataBytes } = parseHeader(bytes, source);
  const available = bytes.length - headerBytes;
  if (available < dataBytes) {
    throw new IdxFormatError(
      `truncated data: dims [${dims.join(', ')}] of ${type.dtype} need ${dataBytes} bytes after the header, ` +
        `found ${available}`,
      source,
    );
  }
  if (available > dataBytes) {
    throw new IdxFormatError(
      `${available - dataBytes} unexpected bytes after the data of dims [${dims.join(', ')}] ${type.dtype}`,
      source,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // a view only of a whole buffer (never of a slice of Node's Buffer pool, which other Buffers share)
  const whole = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return { dtype: type.dtype, dims, data: decodeElements(type.dtype, view, headerBytes, count, bytes, whole) };
}

interface IdxHeader {
  type: TypeInfo;
  dims: number[];
  /** Number of elements. */
  count: number;
  headerBytes: number;
  /** Bytes of element data the dims declare. */
  dataBytes: number;
}

/** Decodes the magic number and the sizes; `bytes` needs to hold only the header. */
function parseHeader(bytes: Uint8Array, source: string): IdxHeader {
  if (bytes.length < 4) {
    throw new IdxFormatError(`truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`, source);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(
      `bad magic number ${[0, 1, 2, 3].map((i) => hex(bytes[i])).join(' ')}: an IDX file starts with two zero bytes`,
      source,
    );
  }
  const type = TYPES.find((t) => t.code === bytes[2]);
  if (!type) {
    throw new IdxFormatError(
      `unsupported element type ${hex(bytes[2])} (supported: ${TYPES.map((t) => `${hex(t.code)} ${t.dtype}`).join(', ')})`,
      source,
    );
  }
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      `truncated header: ${ndim} dimensions need ${headerBytes} bytes, the data has ${bytes.length}`,
      source,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  return { type, dims, count, headerBytes, dataBytes: count * type.size };
}

function decodeElements(
  dtype: IdxDType,
  view: DataView,
  off: number,
  n: number,
  bytes: Uint8Array,
  asView: boolean,
): IdxData {
  switch (dtype) {
    // A copy, unless asView: Buffer#slice shares memory, and the result must not pin a pooled Buffer.
    case 'uint8': {
      if (asView) return new Uint8Array(bytes.buffer, bytes.byteOffset + off, n);
      const out = new Uint8Array(n);
      out.set(bytes.subarray(off, off + n));
      return out;
    }
    case 'int8': {
      if (asView) return new Int8Array(bytes.buffer, bytes.byteOffset + off, n);
      const out = new Int8Array(n);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset + off, n));
      return out;
    }
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(off + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(off + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(off + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(off + 8 * i, false);
      return out;
    }
  }
}

/** What inflating a prefix of the compressed bytes may produce while looking for the header. */
const HEAD_OUTPUT_CAP = 64 << 20;

function inflateError(e: unknown, source: string): IdxFormatError {
  return new IdxFormatError(`gzip data could not be decompressed (${(e as Error).message})`, source);
}

/**
 * How many bytes the gzip data may inflate to: the size its IDX header declares. The header is read by inflating
 * growing prefixes of the compressed bytes (a few KB for any ordinary file), so that a small file whose header
 * declares a few bytes cannot make the reader inflate gigabytes of trailing data before the size check.
 */
function declaredSize(gz: Uint8Array, source: string): number {
  for (let take = 1024; ; take *= 2) {
    const part = gz.subarray(0, Math.min(take, gz.length));
    let head: Uint8Array;
    try {
      // Z_SYNC_FLUSH: a cut stream yields what it has instead of failing with "unexpected end of file".
      head = zlib.gunzipSync(part, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: HEAD_OUTPUT_CAP });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw inflateError(e, source);
      throw new IdxFormatError(
        `the first ${part.length} compressed bytes inflate to more than ${HEAD_OUTPUT_CAP} bytes ` +
          'before the IDX header is complete',
        source,
      );
    }
    const complete = head.length >= 4 && head.length >= 4 + 4 * head[3];
    if (complete || part.length === gz.length) {
      // parseHeader reports a bad magic or a header cut short by the end of the data.
      const { headerBytes, dataBytes } = parseHeader(head, source);
      return headerBytes + dataBytes;
    }
  }
}

/**
 * The size the gzip data's IDX header declares (declaredSize), or an error when no Buffer can hold that much: what
 * the data may inflate to.
 */
function inflatedSize(gz: Uint8Array, source: string): number {
  const size = declaredSize(gz, source);
  if (size > BUFFER_MAX_LENGTH) {
    throw new IdxFormatError(`its header declares ${size} bytes, more than a Buffer can hold`, source);
  }
  return size;
}

function overflowError(size: number, source: string): IdxFormatError {
  return new IdxFormatError(`gzip data inflates to more than the ${size} bytes its IDX header declares`, source);
}

function gunzipSyncNamed(bytes: Uint8Array, source: string): Uint8Array {
  const size = inflatedSize(bytes, source);
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: Math.max(size, 1) }); // zlib refuses a maximum of 0
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ERR_BUFFER_TOO_LARGE' ? overflowError(size, source) : inflateError(e, source);
  }
}

/**
 * Inflates on libuv's threads, straight into a buffer of the declared size: zlib.gunzip would gather its output
 * chunks and concatenate them on the main thread at the end (47 MB for the training images: ~20 ms in one piece).
 * Each chunk is copied as it arrives (256 KB at a time). A stream that ends short is returned short (parseIdx
 * reports it), one that goes past the size is an error.
 */
function gunzipNamed(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  const size = inflatedSize(bytes, source);
  const out = new Uint8Array(size);
  let at = 0;
  return new Promise<Uint8Array>((resolve, reject) => {
    const z = zlib.createGunzip({ chunkSize: 256 << 10 });
    z.on('data', (chunk: Buffer) => {
      if (at + chunk.length > size) {
        z.destroy();
        reject(overflowError(size, source));
        return;
      }
      out.set(chunk, at);
      at += chunk.length;
    });
    z.on('error', (e) => reject(inflateError(e, source)));
    z.on('end', () => resolve(at === size ? out : out.subarray(0, at)));
    z.end(bytes);
  });
}

function checkPath(fn: string, file: unknown): asserts file is string {
  if (typeof file !== 'string' || file.length === 0) {
    throw new TypeError(`${fn}: file must be a non-empty path string, got ${describe(file)}`);
  }
}

/** A read error that names the file (Node's EISDIR and EACCES messages do not), with the original as cause. */
function readError(e: unknown, file: string): Error {
  const err = e as NodeJS.ErrnoException;
  const named = new Error(`${file}: ${err?.message ?? String(e)}`, { cause: e });
  if (err?.code) (named as NodeJS.ErrnoException).code = err.code;
  return named;
}

/** Reads an IDX file, plain or gzip-compressed. */
export function readIdxSync(file: string): IdxArray {
  checkPath('readIdxSync', file);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw readError(e, file);
  }
  if (isGzip(bytes)) bytes = gunzipSyncNamed(bytes, file);
  return decode(bytes, file, true);
}

/** Reads an IDX file, plain or gzip-compressed, without blocking the event loop on I/O or inflation. */
export async function readIdx(file: string): Promise<IdxArray> {
  checkPath('readIdx', file);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw readError(e, file);
  }
  if (isGzip(bytes)) bytes = await gunzipNamed(bytes, file);
  return decode(bytes, file, true);
}

/**
 * Encodes an array as IDX bytes. `dtype` defaults to the typed array's own type; `data` may also be a plain
 * number array when `dtype` is given. Values are stored as the IDX type (typed-array conversion rules). The
 * bytes are a Buffer at run time (declared as Uint8Array, so that the declarations need no @types/node).
 */
export function encodeIdx(arr: { dims: readonly number[]; data: ArrayLike<number>; dtype?: IdxDType }): Uint8Array {
  if (arr === null || typeof arr !== 'object') throw new TypeError(`encodeIdx: expected { dims, data }`);
  const { dims, data } = arr;
  const dtype = arr.dtype ?? dtypeOf(data);
  if (dtype === null) {
    throw new TypeError('encodeIdx: dtype is required when data is not a typed array of an IDX element type');
  }
  const type = TYPES.find((t) => t.dtype === dtype);
  if (!type) throw new RangeError(`encodeIdx: dtype must be one of ${TYPES.map((t) => t.dtype).join(', ')}`);
  if (!Array.isArray(dims) || dims.length > 255) {
    throw new TypeError('encodeIdx: dims must be an array of at most 255 sizes');
  }
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new RangeError(`encodeIdx: dims must be integers in [0, 2^32), got [${dims.join(', ')}]`);
    }
    count *= d;
  }
  if (data == null || typeof data.length !== 'number' || data.length !== count) {
    throw new RangeError(`encodeIdx: data has ${data?.length} elements, dims [${dims.join(', ')}] need ${count}`);
  }
  const header = 4 + 4 * dims.length;
  const buf = Buffer.alloc(header + count * type.size);
  buf[2] = type.code;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    const o = header + i * type.size;
    switch (dtype) {
      case 'uint8':
        view.setUint8(o, v);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'int16':
        view.setInt16(o, v, false);
        break;
      case 'int32':
        view.setInt32(o, v, false);
        break;
      case 'float32':
        view.setFloat32(o, v, false);
        break;
      case 'float64':
        view.setFloat64(o, v, false);
        break;
    }
  }
  return buf;
}

/** Writes an IDX file; gzip-compressed when `gzip` is true or the name ends in .gz. */
export function writeIdxSync(
  file: string,
  arr: { dims: readonly number[]; data: ArrayLike<number>; dtype?: IdxDType },
  opts: { gzip?: boolean } = {},
): void {
  checkPath('writeIdxSync', file);
  const raw = encodeIdx(arr);
  const gz = opts.gzip ?? file.endsWith('.gz');
  fs.writeFileSync(file, gz ? zlib.gzipSync(raw) : raw);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}
