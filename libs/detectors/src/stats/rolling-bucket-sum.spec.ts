import { mulberry32 } from '../testing/seeded-random';
import { RollingBucketSum } from './rolling-bucket-sum';

describe('RollingBucketSum', () => {
  it('matches the documented example', () => {
    const hour = new RollingBucketSum(60_000, 60);
    hour.add(0, 2);
    hour.add(30 * 60_000, 3);
    expect(hour.sumAt(30 * 60_000)).toBe(5);
    expect(hour.sumAt(61 * 60_000)).toBe(3);
    expect(hour.sumAt(10_000 * 60_000)).toBe(0);
  });

  it('equals a batch sum over the slots of the window', () => {
    const random = mulberry32(5);
    const slotMs = 1000;
    const slots = 10;
    const r = new RollingBucketSum(slotMs, slots);
    const events: Array<[number, number]> = [];
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      t += Math.floor(random() * (random() < 0.05 ? 20_000 : 700));
      const amount = Math.round(random() * 100) / 100;
      events.push([t, amount]);
      r.add(t, amount);
      const currentSlot = Math.floor(t / slotMs);
      const batch = events.filter(([time]) => Math.floor(time / slotMs) > currentSlot - slots).reduce((s, [, a]) => s + a, 0);
      expect(r.currentSum).toBeCloseTo(batch, 9);
    }
  });

  it('restores from its state', () => {
    const r = new RollingBucketSum(1000, 5);
    r.add(1000, 1);
    r.add(3000, 2);
    const restored = RollingBucketSum.fromState(JSON.parse(JSON.stringify(r.toState())));
    expect(restored.sumAt(5500)).toBe(3);
    expect(restored.sumAt(6500)).toBe(2);
  });
});
