import { keyPartition } from './key-partition';

describe('keyPartition', () => {
  // murmur2 values from Apache Kafka's own UtilsTest (Java client): the partition must match theirs.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
  ])('puts %s where the Java client does', (key, murmur2) => {
    for (const partitions of [1, 4, 7, 1000]) expect(keyPartition(key, partitions)).toBe((murmur2 & 0x7fffffff) % partitions);
  });
});
