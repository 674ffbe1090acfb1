import { describe, expect, it } from 'vitest';
import { usdText } from './round-figures.js';

describe('usdText', () => {
  it('shows 3 significant digits in plain decimals, however small the amount', () => {
    expect(usdText(1.21e-5)).toBe('$0.0000121');
    expect(usdText(3.4567e-7)).toBe('$0.000000346');
    expect(usdText(0.51234)).toBe('$0.512');
    expect(usdText(0.05)).toBe('$0.0500');
    expect(usdText(12.3)).toBe('$12.30');
    expect(usdText(1234.5)).toBe('$1234.50');
  });

  it('writes zero, negatives and what is not a number as they are', () => {
    expect(usdText(0)).toBe('$0');
    expect(usdText(-0.00123)).toBe('-$0.00123');
    expect(usdText(Number.NaN)).toBe('$NaN');
    expect(usdText(1e-15)).toBe('$0.000000000000');
  });
});
