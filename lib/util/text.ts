/**
 * Terminal text: the columns a string takes, for tables that line up whatever a parameter value holds (a CJK tag,
 * an accented name written with a combining mark, an emoji).
 */

/** East Asian wide and fullwidth characters, and the emoji blocks: two columns in a terminal. */
function isWide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) || // Hangul Jamo initials
    (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || // CJK radicals .. Yi
    (c >= 0xac00 && c <= 0xd7a3) || // Hangul syllables
    (c >= 0xf900 && c <= 0xfaff) || // CJK compatibility ideographs
    (c >= 0xfe30 && c <= 0xfe4f) || // CJK compatibility forms
    (c >= 0xff00 && c <= 0xff60) || // fullwidth forms
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) || // pictographs, emoticons
    (c >= 0x1f900 && c <= 0x1f9ff) || // supplemental symbols and pictographs
    (c >= 0x20000 && c <= 0x3fffd) // CJK extensions B..
  );
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u; // combining marks, format characters (zero-width joiner, ...)

/** The columns `s` takes in a terminal: wide characters 2, combining marks and format characters 0, others 1. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    if (ZERO_WIDTH.test(ch)) continue;
    w += isWide(ch.codePointAt(0)!) ? 2 : 1;
  }
  return w;
}

/** `s` padded with spaces to `width` columns, after it (end) or before it (start). */
export function padColumns(s: string, width: number, side: 'end' | 'start'): string {
  const pad = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return side === 'end' ? s + pad : pad + s;
}
