import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import {
  encodeIdx,
  IdxFormatError,
  IDX_TYPE_CODES,
  isGzip,
  parseIdx,
  readIdx,
  readIdxSync,
  writeIdxSync,
  type IdxDType,
} from '../lib/data/idx';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swishnet-idx-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('IDX encoding', () => {
  test('header of a hand-built uint8 file matches the format (magic, type, big-endian dims)', () => {
    // 2 x 3 uint8: 00 00 08 02 | 00 00 00 02 | 00 00 00 03 | 1 2 3 4 5 6
    const buf = encodeIdx({ dims: [2, 3], data: new Uint8Array([1, 2, 3, 4, 5, 6]) });
    expect([...buf]).toEqual([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
  });

  test('multi-byte elements are big-endian', () => {
    const buf = encodeIdx({ dims: [2], data: new Int32Array([0x01020304, -2]) });
    expect([...buf.subarray(8)]).toEqual([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]);
    const f = encodeIdx({ dims: [1], data: new Float32Array([1]) }); // 1.0f = 3f 80 00 00
    expect([...f.subarray(8)]).toEqual([0x3f, 0x80, 0, 0]);
  });

  test('type codes are the documented ones', () => {
    expect(IDX_TYPE_CODES).toEqual({ uint8: 8, int8: 9, int16: 11, int32: 12, float32: 13, float64: 14 });
  });

  test('a hand-written file decodes (independent of the encoder)', () => {
    const bytes = Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 3, 0x00, 0x01, 0xff, 0xfe, 0x80, 0x00]);
    const a = parseIdx(bytes);
    expect(a.dtype).toBe('int16');
    expect(a.dims).toEqual([3]);
    expect([...a.data]).toEqual([1, -2, -32768]);
  });
});

describe('IDX round trip', () => {
  const cases: [IdxDType, number[], ArrayLike<number>][] = [
    ['uint8', [2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => (i * 37) % 256)],
    ['int8', [5], Int8Array.from([-128, -1, 0, 1, 127])],
    ['int16', [2, 2], Int16Array.from([-32768, -7, 300, 32767])],
    ['int32', [3], Int32Array.from([-2147483648, 123456789, 2147483647])],
    ['float32', [2, 2], Float32Array.from([-1.5, 3.1415927, 1e-30, Infinity])],
    ['float64', [3], Float64Array.from([Math.PI, -0, 1e300])],
  ];

  for (const [dtype, dims, data] of cases) {
    for (const gz of [false, true]) {
      test(`${dtype} ${gz ? '.gz' : 'plain'} sync and async`, async () => {
        const file = path.join(dir, `rt-${dtype}${gz ? '.gz' : ''}`);
        writeIdxSync(file, { dims, data });
        const raw = fs.readFileSync(file);
        expect(isGzip(raw)).toBe(gz);
        for (const a of [readIdxSync(file), await readIdx(file)]) {
          expect(a.dtype).toBe(dtype);
          expect(a.dims).toEqual(dims);
          expect(a.data.constructor).toBe(data.constructor);
          expect(Array.from(a.data)).toEqual(Array.from(data));
        }
      });
    }
  }

  test('gzip is recognised by content, not by name', () => {
    const file = path.join(dir, 'compressed-without-suffix');
    fs.writeFileSync(file, zlib.gzipSync(encodeIdx({ dims: [3], data: new Uint8Array([7, 8, 9]) })));
    expect([...readIdxSync(file).data]).toEqual([7, 8, 9]);
  });

  test('the decoded data does not alias the file buffer', () => {
    const bytes = encodeIdx({ dims: [2], data: new Uint8Array([1, 2]) });
    const a = parseIdx(bytes);
    bytes[8] = 99;
    expect([...a.data]).toEqual([1, 2]);
  });
});

describe('IDX errors', () => {
  const good = (): Uint8Array => encodeIdx({ dims: [2, 2], data: new Float64Array([1, 2, 3, 4]) });

  test('bad magic', () => {
    const b = good();
    b[0] = 0x12;
    expect(() => parseIdx(b, 'x.idx')).toThrow(IdxFormatError);
    expect(() => parseIdx(b, 'x.idx')).toThrow(/x\.idx: bad magic number 0x12/);
  });

  test('unsupported element type', () => {
    const b = good();
    b[2] = 0x0a;
    expect(() => parseIdx(b)).toThrow(/unsupported element type 0x0a/);
  });

  test('truncated data, header and magic', () => {
    const b = good();
    expect(() => parseIdx(b.subarray(0, b.length - 1))).toThrow(/truncated data: .* need 32 bytes .* found 31/);
    expect(() => parseIdx(b.subarray(0, 9))).toThrow(/truncated header/);
    expect(() => parseIdx(b.subarray(0, 3))).toThrow(/truncated/);
  });

  test('trailing bytes', () => {
    const b = Buffer.concat([good(), Buffer.from([0])]);
    expect(() => parseIdx(b)).toThrow(/1 unexpected bytes/);
  });

  test('truncated gzip stream names the file, sync and async', async () => {
    const file = path.join(dir, 'broken.gz');
    const gz = zlib.gzipSync(good());
    fs.writeFileSync(file, gz.subarray(0, gz.length - 6));
    expect(() => readIdxSync(file)).toThrow(/broken\.gz: gzip data could not be decompressed/);
    await expect(readIdx(file)).rejects.toThrow(/broken\.gz: gzip data could not be decompressed/);
  });

  test('gzip data longer than its header declares stops at the declared size, sync and async', async () => {
    // 64 MB of zeros after an 11-byte IDX file: ~64 KB compressed. The reader reads the header from a prefix of the
    // compressed bytes and inflates no more than the header declares (it used to inflate everything first).
    const file = path.join(dir, 'bomb.gz');
    const raw = encodeIdx({ dims: [3], data: new Uint8Array([7, 8, 9]) });
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([raw, Buffer.alloc(64 << 20)]), { level: 9 }));
    const msg = /bomb\.gz: gzip data inflates to more than the 11 bytes its IDX header declares/;
    expect(() => readIdxSync(file)).toThrow(msg);
    await expect(readIdx(file)).rejects.toThrow(msg);
  });

  test('a gzip header declaring more than a Buffer can hold is refused before inflating', async () => {
    const file = path.join(dir, 'huge.gz');
    const head = Buffer.from([0, 0, 0x0e, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([head, Buffer.alloc(1000)])));
    expect(() => readIdxSync(file)).toThrow(/huge\.gz: its header declares \d+ bytes, more than a Buffer can hold/);
    await expect(readIdx(file)).rejects.toThrow(/more than a Buffer can hold/);
  });

  test('readIdx/readIdxSync: uint8 data is a view of the buffer read (no second copy), parseIdx a copy', async () => {
    const pixels = Uint8Array.from({ length: 100 * 28 * 28 }, (_, i) => (i * 31) % 256);
    for (const gz of [false, true]) {
      const file = path.join(dir, `view-${gz}.idx${gz ? '.gz' : ''}`);
      writeIdxSync(file, { dims: [100, 28, 28], data: pixels }, { gzip: gz });
      for (const r of [readIdxSync(file), await readIdx(file)]) {
        expect(Array.from(r.data)).toEqual(Array.from(pixels));
        expect(r.data.byteOffset).toBe(16); // after the header, in a buffer of the file's own
        expect(r.data.buffer.byteLength).toBe(16 + pixels.length);
      }
    }
    const parsed = parseIdx(encodeIdx({ dims: [100, 28, 28], data: pixels }));
    expect([parsed.data.byteOffset, parsed.data.buffer.byteLength]).toEqual([0, pixels.length]);
    // a file smaller than Node's pool slab is read into a pooled Buffer: copied, not a view of the shared slab
    const small = path.join(dir, 'small.idx');
    writeIdxSync(small, { dims: [3], data: new Uint8Array([1, 2, 3]) });
    const r = readIdxSync(small);
    expect(Array.from(r.data)).toEqual([1, 2, 3]);
    expect([r.data.byteOffset, r.data.buffer.byteLength]).toEqual([0, 3]);
  });

  test('a gzip member with a long stored file name (FNAME) is read', async () => {
    // RFC 1952: FLG bit 3 = a zero-terminated name before the deflate data. 100 KB of name puts the IDX header far
    // past the first prefix the reader inflates.
    const file = path.join(dir, 'named.gz');
    const gz = zlib.gzipSync(good());
    const name = Buffer.alloc(100_000, 0x61);
    const flagged = Buffer.from(gz.subarray(0, 10));
    flagged[3] |= 0x08;
    fs.writeFileSync(file, Buffer.concat([flagged, name, Buffer.from([0]), gz.subarray(10)]));
    expect(readIdxSync(file).dims).toEqual([2, 2]);
    expect((await readIdx(file)).data).toEqual(parseIdx(good()).data);
  });

  test('truncated file read from disk names the file', async () => {
    const file = path.join(dir, 'short-idx');
    fs.writeFileSync(file, good().subarray(0, 20));
    expect(() => readIdxSync(file)).toThrow(/short-idx: truncated data/);
    await expect(readIdx(file)).rejects.toThrow(/short-idx: truncated data/);
  });

  test('a header one byte short is a truncated-header IdxFormatError (not a DataView RangeError)', () => {
    const b = good(); // 2 dims: a 12-byte header
    for (const len of [11, 8, 5]) {
      expect(() => parseIdx(b.subarray(0, len), 'h.idx')).toThrow(IdxFormatError);
      expect(() => parseIdx(b.subarray(0, len), 'h.idx')).toThrow(
        new RegExp(`h\\.idx: truncated header: 2 dimensions need 12 bytes, the data has ${len}$`),
      );
    }
  });

  test('a gzip file that inflates to less than its IDX header is a format error, sync and async', async () => {
    // the reader inflates growing prefixes until the header is complete; a stream that ends first must stop it
    for (const [name, raw] of [
      ['magic3.gz', Uint8Array.of(0, 0, 8)],
      ['head8.gz', good().subarray(0, 8)],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, zlib.gzipSync(raw));
      const msg = new RegExp(`${name.replace('.', '\\.')}: truncated`);
      expect(() => readIdxSync(file)).toThrow(msg);
      await expect(readIdx(file)).rejects.toThrow(msg);
    }
  });

  test('a whole gzip stream of a truncated IDX file is truncated data, sync and async, not zero-padded', async () => {
    const file = path.join(dir, 'short-data.gz');
    const raw = good();
    fs.writeFileSync(file, zlib.gzipSync(raw.subarray(0, raw.length - 5)));
    const msg = /short-data\.gz: truncated data: dims \[2, 2\] of float64 need 32 bytes after the header, found 27/;
    expect(() => readIdxSync(file)).toThrow(msg);
    await expect(readIdx(file)).rejects.toThrow(msg);
  });

  test('gzip data a few bytes longer than its header declares is refused, sync and async', async () => {
    const file = path.join(dir, 'tail.gz');
    const raw = encodeIdx({ dims: [3], data: new Uint8Array([7, 8, 9]) });
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([raw, Buffer.alloc(10)])));
    const msg = /tail\.gz: gzip data inflates to more than the 11 bytes its IDX header declares/;
    expect(() => readIdxSync(file)).toThrow(msg);
    await expect(readIdx(file)).rejects.toThrow(msg);
  });

  test('isGzip: the two magic bytes suffice; fewer, or other bytes, are not gzip', () => {
    expect(isGzip(Uint8Array.of(0x1f, 0x8b))).toBe(true);
    expect(isGzip(zlib.gzipSync(Buffer.alloc(0)))).toBe(true);
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false);
    expect(isGzip(Uint8Array.of(0x8b, 0x1f))).toBe(false);
    expect(isGzip(new Uint8Array(0))).toBe(false);
  });

  test('a file that cannot be read: the error names the file and keeps its code, sync and async', async () => {
    const file = path.join(dir, 'does-not-exist.idx');
    let err: NodeJS.ErrnoException | undefined;
    try {
      readIdxSync(file);
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.message.startsWith(`${file}: `)).toBe(true);
    expect(err?.code).toBe('ENOENT');
    await expect(readIdx(file)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(file) });
  });

  test('encodeIdx: dims outside what the header can store are RangeErrors/TypeErrors naming dims', () => {
    const range = /encodeIdx: dims must be integers in \[0, 2\^32\)/;
    // the element count of [-1, -1] is 1: only the dims check stops it
    expect(() => encodeIdx({ dims: [-1, -1], data: new Uint8Array(1) })).toThrow(range);
    expect(() => encodeIdx({ dims: [2 ** 32, 0], data: new Uint8Array(0) })).toThrow(range);
    expect(() => encodeIdx({ dims: [2 ** 32 - 1, 0], data: new Uint8Array(0) })).not.toThrow();
    // the dimension count is one header byte: 256 would be written as 0
    expect(() => encodeIdx({ dims: new Array(256).fill(1), data: new Uint8Array(1) })).toThrow(
      new TypeError('encodeIdx: dims must be an array of at most 255 sizes'),
    );
    const most = parseIdx(encodeIdx({ dims: new Array(255).fill(1), data: Uint8Array.of(7) }));
    expect([most.dims.length, most.data[0]]).toEqual([255, 7]);
  });

  test('argument errors are TypeErrors naming the argument', () => {
    expect(() => readIdxSync('' as string)).toThrow(TypeError);
    expect(() => parseIdx('abc' as unknown as Uint8Array)).toThrow(/bytes must be/);
    expect(() => encodeIdx({ dims: [3], data: [1, 2, 3] })).toThrow(/dtype is required/);
    expect(() => encodeIdx({ dims: [2], data: new Uint8Array(3) })).toThrow(RangeError);
  });
});
