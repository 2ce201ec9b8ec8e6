// Decimal to f64 with correct rounding (round half to even), as JSON.parse and strtod do.
// The value is mantissa digits × 10^exponent. Short mantissas with small exponents take Clinger's
// fast path (one exact operation, one rounding); the rest are computed with exact big integers and
// rounded once. Repeated `value * 10` or `/ 10` (the simple way) rounds at every step and loses
// the last bits of many numbers, e.g. 0.11.

/** Significant digits kept; any further non-zero digit only breaks ties (a standard bound is 768). */
export const MAX_DIGITS: i32 = 800;
const LIMBS: i32 = 160; // 5120 bits: 10^(800 + 330), shifted, fits

// Big integers for the exact path: fixed-width little-endian u32 limbs (simple and small code).
type Big = StaticArray<u32>;

function mulAdd(a: Big, m: u32, add: u32): void {
  let carry: u64 = add;
  for (let i = 0; i < LIMBS; i++) {
    const v = <u64>unchecked(a[i]) * <u64>m + carry;
    unchecked((a[i] = <u32>v));
    carry = v >> 32;
  }
}

function mulPow10(a: Big, e: i32): void {
  while (e > 0) {
    const k = min(e, 9);
    let m: u32 = 1;
    for (let i = 0; i < k; i++) m *= 10;
    mulAdd(a, m, 0);
    e -= k;
  }
}

function bitLength(a: Big): i32 {
  for (let i = LIMBS - 1; i >= 0; i--) {
    const v = unchecked(a[i]);
    if (v != 0) return i * 32 + 32 - <i32>clz(v);
  }
  return 0;
}

function shl(a: Big, bits: i32): void {
  const words = bits >> 5;
  const shift = <u32>bits & 31;
  for (let i = LIMBS - 1; i >= 0; i--) {
    const hi: u32 = i >= words ? unchecked(a[i - words]) : 0;
    const lo: u32 = i > words ? unchecked(a[i - words - 1]) : 0;
    unchecked((a[i] = shift == 0 ? hi : (hi << shift) | (lo >> (32 - shift))));
  }
}

/** a >= b ? (a -= b, true) : false */
function subIfAtLeast(a: Big, b: Big): bool {
  for (let i = LIMBS - 1; i >= 0; i--) {
    const x = unchecked(a[i]);
    const y = unchecked(b[i]);
    if (x != y) {
      if (x < y) return false;
      break;
    }
  }
  let borrow: u64 = 0;
  for (let i = 0; i < LIMBS; i++) {
    const v = <u64>unchecked(a[i]) - <u64>unchecked(b[i]) - borrow;
    unchecked((a[i] = <u32>v));
    borrow = (v >> 63) & 1;
  }
  return true;
}

function pow2(n: i32): f64 {
  return reinterpret<f64>(<u64>(n + 1023) << 52);
}

/** (q + sticky) × 2^e2, with bit 63 of q set, rounded once to the nearest f64 (ties to even). */
function roundToF64(q: u64, sticky: bool, e2: i32): f64 {
  const top = 63 + e2;
  if (top > 1023) return Infinity;
  let shift = 11; // 64 bits down to 53
  if (top < -1022) shift += -1022 - top; // subnormal: fewer bits
  if (shift >= 64) return shift == 64 && ((q << 1) != 0 || sticky) ? 4.9406564584124654e-324 : 0;
  let mant = q >> <u64>shift;
  const rest = q << <u64>(64 - shift); // the bits dropped, left-aligned: the top one is the half
  if ((rest >> 63) != 0 && ((rest << 1) != 0 || sticky || (mant & 1) != 0)) mant++;
  const n = e2 + shift;
  // exact: the rounded value is representable, and each step only moves the exponent
  return n < -1022 ? <f64>mant * pow2(n + 64) * pow2(-64) : <f64>mant * pow2(n);
}

/**
 * The f64 nearest to digits × 10^exponent. `digits` holds decimal digit values (0-9) without leading
 * zeros, at most MAX_DIGITS; `truncated` says a non-zero digit was dropped after them.
 */
export function decimalToF64(digits: StaticArray<u8>, count: i32, exponent: i32, truncated: bool): f64 {
  if (count == 0) return 0;
  if (count + exponent > 310) return Infinity;
  if (count + exponent < -326) return 0;
  if (count <= 15 && !truncated && exponent >= -22 && exponent <= 22) {
    // Clinger's fast path: the mantissa and 10^|exponent| are exact f64s, so one rounding.
    let m: f64 = 0;
    for (let i = 0; i < count; i++) m = m * 10 + <f64>unchecked(digits[i]);
    let scale: f64 = 1;
    for (let i = exponent < 0 ? -exponent : exponent; i > 0; i--) scale *= 10;
    return exponent >= 0 ? m * scale : m / scale;
  }
  // Exactly: m / p with m = digits × 10^max(exponent, 0) and p = 10^max(-exponent, 0), lined up to the
  // same bit length (m/p in (1/2, 2)), then long division until the quotient has 64 bits.
  const m = new StaticArray<u32>(LIMBS);
  const p = new StaticArray<u32>(LIMBS);
  unchecked((p[0] = 1));
  for (let i = 0; i < count; i++) mulAdd(m, 10, unchecked(digits[i]));
  mulPow10(exponent >= 0 ? m : p, exponent >= 0 ? exponent : -exponent);
  const d = bitLength(m) - bitLength(p);
  shl(d >= 0 ? p : m, d >= 0 ? d : -d);
  let q: u64 = 0;
  let e2 = d + 1;
  while ((q >> 63) == 0) {
    q <<= 1;
    e2--;
    if (subIfAtLeast(m, p)) q |= 1;
    shl(m, 1);
  }
  return roundToF64(q, bitLength(m) != 0 || truncated, e2);
}
