/**
 * Terminal text: the columns a string takes, for tables that line up whatever a parameter value holds (a CJK tag,
 * an accented name written with a combining mark, an emoji).
 */

/** The emoji of the Basic Multilingual Plane that Unicode's East Asian Width gives W (two columns). */
const WIDE_BMP_EMOJI: readonly (readonly [number, number])[] = [
  [0x231a, 0x231b], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3], [0x25fd, 0x25fe], [0x2614, 0x2615],
  [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1], [0x26aa, 0x26ab], [0x26bd, 0x26be],
  [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea], [0x26f2, 0x26f3], [0x26f5, 0x26f5],
  [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b], [0x2728, 0x2728], [0x274c, 0x274c],
  [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797], [0x27b0, 0x27b0], [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
];

/** East Asian wide and fullwidth characters, and emoji: two columns in a terminal. */
function isWide(c: number): boolean {
  if (c >= 0x1f000) {
    return (
      (c >= 0x1f300 && c <= 0x1f64f) || // pictographs, emoticons
      (c >= 0x1f680 && c <= 0x1f6ff) || // transport and map symbols
      (c >= 0x1f900 && c <= 0x1f9ff) || // supplemental symbols and pictographs
      (c >= 0x1fa70 && c <= 0x1faff) || // symbols and pictographs extended-A
      (c >= 0x20000 && c <= 0x3fffd) // CJK extensions B..
    );
  }
  if (c >= 0x231a && c <= 0x2b55) return WIDE_BMP_EMOJI.some(([a, b]) => c >= a && c <= b);
  return (
    (c >= 0x1100 && c <= 0x115f) || // Hangul Jamo initials
    (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || // CJK radicals .. Yi
    (c >= 0xac00 && c <= 0xd7a3) || // Hangul syllables
    (c >= 0xf900 && c <= 0xfaff) || // CJK compatibility ideographs
    (c >= 0xfe30 && c <= 0xfe4f) || // CJK compatibility forms
    (c >= 0xff00 && c <= 0xff60) || // fullwidth forms
    (c >= 0xffe0 && c <= 0xffe6)
  );
}

// combining marks, format characters (zero-width joiner, ...), variation selectors, emoji skin-tone modifiers
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u{1F3FB}-\u{1F3FF}]/u;

/**
 * The columns `s` takes in a terminal: wide characters 2, combining marks and format characters 0, others 1. (A
 * sequence joined by U+200D counts each of its emoji: terminals differ there.)
 */
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
