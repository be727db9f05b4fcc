/**
 * Rasterizing the charts: SVG -> PNG with resvg (@resvg/resvg-js: a Rust SVG renderer whose prebuilt
 * binaries ship inside npm packages, so it installs without downloads and needs no browser), and a list of
 * SVG frames -> animated GIF with gifenc (pure JS: palette quantization + LZW).
 *
 * Both libraries load lazily, so importing lib/viz costs nothing until a PNG or GIF is asked for, and a
 * missing optional binary fails with a message that says what to install.
 */
import { FONT_FAMILY } from './svg';

interface RenderedImage {
  width: number;
  height: number;
  pixels: Buffer;
  asPng(): Buffer;
}
interface ResvgModule {
  Resvg: new (
    svg: string | Buffer,
    options?: Record<string, unknown>,
  ) => { width: number; height: number; render(): RenderedImage };
}
interface GifEncoder {
  writeFrame(index: Uint8Array, width: number, height: number, opts?: { palette?: number[][]; delay?: number; repeat?: number }): void;
  finish(): void;
  bytes(): Uint8Array;
}
interface GifencModule {
  GIFEncoder(opts?: { auto?: boolean }): GifEncoder;
  quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, opts?: { format?: string }): number[][];
  applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: number[][], format?: string): Uint8Array;
}

function load<T>(name: string, what: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(name) as T;
  } catch (e) {
    const err = new Error(
      `${what} needs the '${name}' package, which could not be loaded (${(e as Error).message.split('\n')[0]}). ` +
        `Install it with \`npm install ${name}\` or write SVG instead.`,
    );
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }
}

export interface RasterOptions {
  /** Zoom factor (2 = twice the SVG's pixel size). Default 1. */
  scale?: number;
  /** Background colour behind transparent areas. Default white. */
  background?: string;
}

/**
 * Largest raster, in pixels (2^27: 512 MiB of RGBA). resvg aborts the whole process when it cannot allocate
 * the pixmap, so a larger image is refused before rendering.
 */
export const MAX_RASTER_PIXELS = 2 ** 27;

function validateScale(scale: unknown): number {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > 16)
    throw new RangeError(`scale must be a number in (0, 16], got ${String(scale)}`);
  return scale;
}

function render(svg: string, options: RasterOptions): RenderedImage {
  if (typeof svg !== 'string' || !svg.includes('<svg')) throw new TypeError('svg must be an SVG document string');
  const scale = validateScale(options.scale ?? 1);
  const { Resvg } = load<ResvgModule>('@resvg/resvg-js', 'PNG output');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: options.background ?? '#ffffff',
    // System fonts (Debian's fonts-dejavu-core); the charts name DejaVu Sans first. Without any font
    // installed the text is left out and the lines still render.
    font: { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY.split(',')[0].replace(/'/g, '') },
    shapeRendering: 2,
    textRendering: 1,
    logLevel: 'off',
  });
  // The SVG's own size (parsing allocates no pixmap), at the zoom that render() applies.
  const w = Math.ceil(r.width * scale);
  const h = Math.ceil(r.height * scale);
  if (r.width * scale < 1 || r.height * scale < 1) {
    throw new RangeError(
      `the image would be less than one pixel (the SVG's width ${r.width} x height ${r.height} at scale ${scale} ` +
        `is ${r.width * scale} x ${r.height * scale}): use a larger width, height or scale`,
    );
  }
  if (!(w * h <= MAX_RASTER_PIXELS)) {
    throw new RangeError(
      `the image would be ${w} x ${h} pixels (the SVG's width ${r.width} x height ${r.height} at scale ${scale}), ` +
        `more than ${MAX_RASTER_PIXELS} (2^27): use a smaller width, height or scale`,
    );
  }
  return r.render();
}

/** Renders an SVG document to PNG bytes. */
export function svgToPng(svg: string, options: RasterOptions = {}): Buffer {
  return render(svg, options).asPng();
}

/** Renders an SVG document to straight RGBA pixels. */
export function svgToRgba(svg: string, options: RasterOptions = {}): { width: number; height: number; data: Uint8Array } {
  const img = render(svg, options);
  return { width: img.width, height: img.height, data: new Uint8Array(img.pixels.buffer, img.pixels.byteOffset, img.pixels.length) };
}

export interface GifOptions extends RasterOptions {
  /** Milliseconds per frame. Default 150. */
  delayMs?: number;
  /** Play forwards then backwards, so the loop has no jump. Default false. */
  pingPong?: boolean;
}

/**
 * Encodes SVG frames (same size) as a looping animated GIF. One palette for all frames, quantized from
 * the first, middle and last frame together, keeps colours steady from frame to frame.
 */
export function svgFramesToGif(frames: readonly string[], options: GifOptions = {}): Buffer {
  if (!Array.isArray(frames) || frames.length === 0) throw new TypeError('frames must be a non-empty array of SVG strings');
  const delay = options.delayMs ?? 150;
  if (typeof delay !== 'number') throw new TypeError(`delayMs must be a number, got ${typeof delay}`);
  if (!Number.isFinite(delay) || delay < 10 || delay > 60000) throw new RangeError(`delayMs must be in [10, 60000], got ${delay}`);
  const gifenc = load<GifencModule>('gifenc', 'GIF output');
  const first = svgToRgba(frames[0], options);
  // Every frame is held as RGBA until the palette is known: bound the total as one image is bounded.
  if (first.width * first.height * frames.length > 2 * MAX_RASTER_PIXELS) {
    throw new RangeError(
      `${frames.length} frames of ${first.width} x ${first.height} pixels are more than ${2 * MAX_RASTER_PIXELS} ` +
        `pixels (2^28) in all: use fewer frames or a smaller width, height or scale`,
    );
  }
  const images = [first, ...frames.slice(1).map((f) => svgToRgba(f, options))];
  const { width, height } = images[0];
  if (images.some((im) => im.width !== width || im.height !== height)) throw new RangeError('all frames must have the same size');
  const picks = [...new Set([0, images.length >> 1, images.length - 1])];
  const sample = new Uint8Array(picks.length * images[0].data.length);
  picks.forEach((p, i) => sample.set(images[p].data, i * images[0].data.length));
  const palette = gifenc.quantize(sample, 256, { format: 'rgb444' });
  const order = images.map((_, i) => i);
  if (options.pingPong && images.length > 2) for (let i = images.length - 2; i > 0; i--) order.push(i);
  const indexed = images.map((im) => gifenc.applyPalette(im.data, palette, 'rgb444'));
  const gif = gifenc.GIFEncoder();
  order.forEach((i, k) => gif.writeFrame(indexed[i], width, height, k === 0 ? { palette, delay, repeat: 0 } : { delay }));
  gif.finish();
  return Buffer.from(gif.bytes());
}
