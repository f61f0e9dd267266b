import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { mulberry32 } from '../testing/seeded-random';
import { MedianMadWindow } from './median-mad-window';

describe('MedianMadWindow', () => {
  it('matches the simple-statistics example', () => {
    const w = new MedianMadWindow(7);
    [1, 1, 2, 2, 4, 6, 9].forEach((x) => w.push(x));
    expect(w.median()).toBe(2);
    expect(w.medianAbsoluteDeviation()).toBe(1);
  });

  it.each([1, 2, 7, 60])('equals batch median and MAD over a window of %i', (capacity) => {
    const random = mulberry32(capacity);
    const all: number[] = [];
    const w = new MedianMadWindow(capacity);
    for (let i = 0; i < 1500; i++) {
      // Ties and zeros are common in spend series: round half the values.
      const x = i % 2 === 0 ? Math.round(random() * 5) : random() * 50;
      all.push(x);
      w.push(x);
      const tail = all.slice(-capacity);
      expect(w.median()).toBe(median(tail));
      expect(w.medianAbsoluteDeviation()).toBeCloseTo(medianAbsoluteDeviation(tail), 12);
    }
  });

  it('throws on an empty window', () => {
    expect(() => new MedianMadWindow(3).median()).toThrow(RangeError);
  });

  it('restores from its state', () => {
    const w = new MedianMadWindow(4);
    [4, 1, 3, 2, 8].forEach((x) => w.push(x));
    const r = MedianMadWindow.fromState(w.toState());
    expect(r.toArray()).toEqual([1, 3, 2, 8]);
    expect(r.median()).toBe(2.5);
  });
});
