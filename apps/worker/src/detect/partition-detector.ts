import type { Finding } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { DetectionEngine, type DetectionPolicy, type EngineSnapshot } from '@spendguard/detectors';

/**
 * The detection state of one Kafka partition of the usage topic: its engine,
 * the next offset the engine has not seen, and the ids of findings already
 * published (so a replay after a restart does not publish them again).
 * Partitioning by account id keeps every key of an account in one engine.
 */
export class PartitionDetector {
  private readonly published = new Set<string>();
  private dirty = false;

  private constructor(
    readonly engine: DetectionEngine,
    /** Offsets below this are already in the engine's state. */
    public nextOffset: bigint,
  ) {}

  static fresh(policy: DetectionPolicy): PartitionDetector {
    return new PartitionDetector(new DetectionEngine(policy), -1n);
  }

  /** An engine built elsewhere (seeded from rollups) that has seen no message yet. */
  static seeded(engine: DetectionEngine): PartitionDetector {
    return new PartitionDetector(engine, -1n);
  }

  static restored(snapshot: EngineSnapshot, nextOffset: bigint, policy: DetectionPolicy): PartitionDetector {
    return new PartitionDetector(DetectionEngine.restore(snapshot, policy), nextOffset);
  }

  rememberPublished(ids: Iterable<string>): void {
    for (const id of ids) this.published.add(id);
  }

  /** Feeds one event at `offset`; returns the findings not published before. Skips offsets already seen. */
  observe(offset: bigint, event: UsageEvent | undefined): Finding[] {
    if (offset < this.nextOffset) return [];
    this.nextOffset = offset + 1n;
    this.dirty = true;
    if (!event) return [];
    return this.unpublished(this.engine.observe(event));
  }

  private unpublished(findings: Finding[]): Finding[] {
    if (findings.length === 0) return findings;
    const fresh = findings.filter((f) => !this.published.has(f.id));
    for (const f of fresh) this.published.add(f.id);
    return fresh;
  }

  /** True once after any change since the last call: the state needs saving. */
  takeDirty(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }

  /** Bounds the published-id memory; ids older than a snapshot are also in ClickHouse. */
  trimPublished(max: number): void {
    if (this.published.size <= max) return;
    const excess = this.published.size - max;
    let i = 0;
    for (const id of this.published) {
      if (i++ >= excess) break;
      this.published.delete(id);
    }
  }
}
