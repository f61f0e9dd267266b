import { DetectionEngine, type DetectionPolicy, type RollupRow } from '@spendguard/detectors';

const MINUTE_MS = 60_000;

/**
 * The cut-over between seeded history and the Kafka replay, given the event time of the
 * first message the partition replays (the first valid event of its first batch): seed
 * only the minutes strictly before that event's minute; everything from that minute on is
 * learned from Kafka.
 *
 * Why this rule: a partition without a snapshot replays from its committed offset or, for a
 * new group, from the earliest retained offset (`fromBeginning`). The rollups hold no Kafka
 * offset, but within a partition event time follows offset order up to the gateways' delay,
 * so "minutes before the first replayed event" is the history the replay does not contain.
 * The first replayed minute itself is left out, because the replay may not start at its
 * beginning: an event earlier in that minute (already behind the committed offset, or
 * deleted by retention) is lost from the baseline rather than counted twice. What remains
 * inexact: an event replayed later whose time is before the cut-over (a late event) is
 * counted twice, and one before the first replayed offset but timed after it is missed;
 * both are bounded by how late gateways publish, seconds in practice.
 *
 * @example seedUntil(Date.parse('2026-01-01T10:07:42Z')) // => Date.parse('2026-01-01T10:07:00Z')
 */
export function seedUntil(firstEventTimeMs: number): number {
  return Math.floor(firstEventTimeMs / MINUTE_MS) * MINUTE_MS;
}

export interface SeedResult {
  /** The engine that learned the rows; it goes on with the replay. */
  engine: DetectionEngine;
  rows: number;
  keys: number;
}

/**
 * Learns per-minute rollups (in minute order, all before `untilMs`) into a new engine.
 *
 * Novelty memory (models, IPs, countries, user agents a key used) cannot be seeded: the
 * rollups have no IP or origin columns, and models alone would make a half memory. The
 * engine starts the novelty warm-up of a key known only from rollups at its first event
 * (`DetectionEngine.seedFromRollup`), so its everyday model and IP are learned from the
 * replay on, as for a new key, while spend baselines keep the whole history.
 *
 * @param onRow called after each row (e.g. to heartbeat the consumer group during a long seed)
 * @throws {Error} when a row is at or after `untilMs` (it would be learned twice)
 */
export async function seedEngine(policy: DetectionPolicy, rows: AsyncIterable<RollupRow>, untilMs: number, onRow: () => Promise<void> | undefined = () => undefined): Promise<SeedResult> {
  const engine = new DetectionEngine(policy);
  let count = 0;
  for await (const row of rows) {
    if (row.minuteStart >= untilMs) throw new Error(`rollup of minute ${new Date(row.minuteStart).toISOString()} is not before the cut-over ${new Date(untilMs).toISOString()}`);
    engine.seedFromRollup(row);
    count++;
    const pending = onRow();
    if (pending) await pending;
  }
  return { engine, rows: count, keys: engine.trackedKeys };
}
