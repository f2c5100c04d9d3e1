import { retryDelayMs } from './retry-policy.js';

const low = () => 0;
const high = () => 1;

describe('retryDelayMs', () => {
  it('gives half to all of the base delay after the first failure', () => {
    expect(retryDelayMs(1, 1000, low)).toBe(500);
    expect(retryDelayMs(1, 1000, high)).toBe(1000);
    expect(retryDelayMs(1, 1000, () => 0.5)).toBe(750);
  });

  it('doubles the bounds with each failed attempt', () => {
    expect([2, 3, 4].map((n) => retryDelayMs(n, 1000, low))).toEqual([1000, 2000, 4000]);
    expect([2, 3, 4].map((n) => retryDelayMs(n, 1000, high))).toEqual([2000, 4000, 8000]);
  });

  it('treats zero attempts like the first', () => {
    expect(retryDelayMs(0, 1000, high)).toBe(1000);
  });

  it('caps the delay at one day', () => {
    const day = 24 * 60 * 60 * 1000;
    expect(retryDelayMs(60, 1000, high)).toBe(day);
    expect(retryDelayMs(60, 1000, low)).toBe(day / 2);
    expect(retryDelayMs(5000, 1000, high)).toBe(day);
  });

  it('stays within the bounds with the real random source', () => {
    for (let i = 0; i < 50; i++) {
      const delay = retryDelayMs(3, 100, Math.random);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });
});
