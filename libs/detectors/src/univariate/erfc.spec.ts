import { erf, erfc, normalUpperTail } from './erfc';

// Reference values: Python 3 math.erfc (libm), printed with 17 significant digits.
const REFERENCE: [number, number][] = [
  [-3, 1.9999779095030015],
  [-1, 1.842700792949715],
  [0, 1],
  [0.3, 0.6713732405408726],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2, 0.004677734981047265],
  [4, 1.541725790028002e-8],
  [5, 1.5374597944280351e-12],
  [6, 2.1519736712498916e-17],
  [8, 1.1224297172982928e-29],
  [10, 2.088487583762545e-45],
  [15, 7.212994172451206e-100],
];

describe('erfc', () => {
  it.each(REFERENCE)('erfc(%p) is within 1e-15 relative of the reference', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-15);
  });

  it('underflows to 0 far in the tail and is NaN for NaN', () => {
    expect(erfc(30)).toBe(0);
    expect(erfc(-30)).toBe(2);
    expect(erfc(Number.NaN)).toBeNaN();
  });

  it('is 1 − erf', () => {
    for (const x of [-2, -0.4, 0.1, 0.7, 3]) expect(erfc(x)).toBeCloseTo(1 - erf(x), 15);
  });
});

describe('normalUpperTail', () => {
  it('is ½ at 0 and Q(1.959963985) = 0.025', () => {
    expect(normalUpperTail(0)).toBe(0.5);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 15);
  });

  it('makes 1 − Q(z) round to exactly 1.0 only beyond z ≈ 8.29', () => {
    expect(1 - normalUpperTail(8.2)).toBeLessThan(1);
    expect(1 - normalUpperTail(8.3)).toBe(1);
  });
});
