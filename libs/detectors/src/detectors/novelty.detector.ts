/**
 * Novelty: a value (model, IP, country, user agent) this key has not used within a horizon.
 * Bounded memory: at most `maxValues` entries; when full, the least recently seen entry is
 * evicted (O(maxValues) scan, only when a new value arrives). If that evicted entry was
 * still inside the horizon the key uses more distinct values than we can remember (e.g. a
 * gateway forwarding end-user IPs): the memory marks itself `saturated` and stops reporting,
 * because "new IP" means nothing for such a key.
 * Reference: "first seen" rules of SIEMs (e.g. Elastic's new-terms rule), with an LRU bound.
 *
 * Each entry also adds up the spend made with the value while it is new (first
 * `spendWindowMs` after first sight), so the engine can tell "a new model" (a warning) from
 * "dollars on a model this key never used" (critical).
 *
 * @example
 * const models = new NoveltyMemory({ maxValues: 2, horizonMs: 1000, spendWindowMs: 100 });
 * models.observe('gpt-4o', 0, true); // => entry { novel: true }
 * models.observe('gpt-4o', 10, true); // => entry { novel: false }
 */
export class NoveltyMemory {
  // Most keys use one model, IP, country and user agent: the first value lives in
  // `lastValue`/`lastEntry` and the Map is only created when a second value arrives.
  // `lastValue`/`lastEntry` also cache the latest lookup, so a repeated value costs one
  // string comparison instead of a hash lookup.
  private entries: Map<string, NoveltyEntry> | null = null;
  private lastValue: string | undefined = undefined;
  private lastEntry: NoveltyEntry | undefined = undefined;
  saturated = false;
  /**
   * `hot[at]`: the `lastSeen` of `lastEntry` (authoritative while it is the last entry; written
   * back to the entry when another value becomes the last one, and before anything reads
   * every entry); `hot[at + 1]`: 1 when `lastEntry` is quiet (not novel, spend not tracked), so
   * `noveltyRepeatQuiet` can answer a repeated value without touching the entry object. The engine
   * places these in its series' number array, next to the key's other numbers.
   */
  private readonly hot: Float64Array;
  private readonly at: number;

  constructor(
    private readonly options: { maxValues: number; horizonMs: number; spendWindowMs: number },
    hot?: Float64Array,
    at = 0,
  ) {
    this.hot = hot ?? new Float64Array(NOVELTY_HOT_SIZE);
    this.at = hot ? at : 0;
    this.hot[this.at + HOT_QUIET] = 0;
  }

  /** The last value seen: a caller compares a new value with it, then asks `noveltyRepeatQuiet` (the fast path of `observe`). */
  get last(): string | undefined {
    return this.lastValue;
  }

  /**
   * Records `value` seen at `time`; returns its entry with `novel` true when it was not seen
   * within the horizon. `reportable` says whether a novelty at this moment should be tracked
   * for spend (false during the key's warm-up).
   */
  observe(value: string, time: number, reportable: boolean): NoveltyEntry {
    const hot = this.hot;
    const at = this.at;
    let entry: NoveltyEntry | undefined;
    if (value === this.lastValue) entry = this.lastEntry;
    else if (this.entries !== null) {
      entry = this.entries.get(value);
      if (entry !== undefined) this.setLast(value, entry);
    }
    // Here `entry`, when defined, is `lastEntry`: its lastSeen is `hot[at]`.
    if (entry !== undefined && time - hot[at + HOT_LAST_SEEN] <= this.options.horizonMs) {
      entry.novel = false;
      // Refresh at most once a minute: fewer writes on the hot path, same answers at this horizon.
      if (time - hot[at + HOT_LAST_SEEN] > REFRESH_MS) hot[at + HOT_LAST_SEEN] = time;
      hot[at + HOT_QUIET] = entry.trackSpend ? 0 : 1;
      return entry;
    }
    if (entry === undefined) {
      if (this.size >= this.options.maxValues) this.evictLeastRecent(time);
      entry = { firstSeen: time, lastSeen: time, novel: true, trackedSpendUsd: 0, trackSpend: reportable, escalated: false, baseSpendUsd: 0, baseExpectedUsd: 0, baseNewOriginSpendUsd: 0 };
      this.insert(value, entry);
    } else {
      entry.firstSeen = time;
      hot[at + HOT_LAST_SEEN] = time;
      entry.novel = true;
      entry.trackedSpendUsd = 0;
      entry.trackSpend = reportable;
      entry.escalated = false;
      entry.baseSpendUsd = 0;
      entry.baseExpectedUsd = 0;
      entry.baseNewOriginSpendUsd = 0;
    }
    hot[at + HOT_QUIET] = 0;
    return entry;
  }

  /** The entry of `value` if remembered, without recording a sighting (its `lastSeen` may lag: not read by callers). */
  peek(value: string): NoveltyEntry | undefined {
    if (value === this.lastValue) return this.lastEntry;
    return this.entries?.get(value);
  }

  /** Adds spend to a value's tally while it is still new; returns the tally (0 when not tracked). */
  addSpend(entry: NoveltyEntry, time: number, costUsd: number): number {
    if (!entry.trackSpend || time - entry.firstSeen > this.options.spendWindowMs) return 0;
    entry.trackedSpendUsd += costUsd;
    return entry.trackedSpendUsd;
  }

  get size(): number {
    return this.entries !== null ? this.entries.size : this.lastValue !== undefined ? 1 : 0;
  }

  toState(): NoveltyMemoryState {
    this.writeBackLastSeen();
    if (this.entries === null) return { saturated: this.saturated, entries: this.lastValue !== undefined ? [[this.lastValue, { ...(this.lastEntry as NoveltyEntry) }]] : [] };
    return { saturated: this.saturated, entries: Array.from(this.entries, ([value, e]) => [value, { ...e }]) };
  }

  static fromState(options: { maxValues: number; horizonMs: number; spendWindowMs: number }, state: NoveltyMemoryState, hot?: Float64Array, at = 0): NoveltyMemory {
    const m = new NoveltyMemory(options, hot, at);
    m.saturated = state.saturated;
    for (const [value, e] of state.entries) m.insert(value, { ...e, baseSpendUsd: e.baseSpendUsd ?? 0, baseExpectedUsd: e.baseExpectedUsd ?? 0, baseNewOriginSpendUsd: e.baseNewOriginSpendUsd ?? 0 });
    return m;
  }

  /** Makes `entry` the last one (its lastSeen moves to `hot`, the previous one's back to its entry). */
  private setLast(value: string, entry: NoveltyEntry): void {
    this.writeBackLastSeen();
    this.lastValue = value;
    this.lastEntry = entry;
    this.hot[this.at + HOT_LAST_SEEN] = entry.lastSeen;
    this.hot[this.at + HOT_QUIET] = 0;
  }

  private writeBackLastSeen(): void {
    if (this.lastEntry !== undefined) this.lastEntry.lastSeen = this.hot[this.at + HOT_LAST_SEEN];
  }

  /** Adds a value not in memory (insertion order is kept: it breaks ties on eviction). */
  private insert(value: string, entry: NoveltyEntry): void {
    if (this.entries === null && this.lastValue !== undefined) {
      this.entries = new Map();
      this.entries.set(this.lastValue, this.lastEntry as NoveltyEntry);
    }
    if (this.entries !== null) this.entries.set(value, entry);
    this.setLast(value, entry);
  }

  private evictLeastRecent(time: number): void {
    this.writeBackLastSeen();
    let oldestValue: string | undefined;
    let oldestSeen = Infinity;
    if (this.entries === null) {
      if (this.lastValue === undefined) return;
      oldestValue = this.lastValue;
      oldestSeen = (this.lastEntry as NoveltyEntry).lastSeen;
      this.lastValue = this.lastEntry = undefined;
    } else {
      for (const [value, e] of this.entries) {
        if (e.lastSeen < oldestSeen) {
          oldestSeen = e.lastSeen;
          oldestValue = value;
        }
      }
      if (oldestValue === undefined) return;
      this.entries.delete(oldestValue);
      if (oldestValue === this.lastValue) this.lastValue = this.lastEntry = undefined;
    }
    if (time - oldestSeen <= this.options.horizonMs) this.saturated = true;
  }
}

/**
 * Fast path of `NoveltyMemory.observe` for a caller that has compared the value with the
 * memory's `last` itself: true (and the sighting recorded) when the last entry is
 * quiet and within the horizon. Horizon and time come in objects: a double argument of a call
 * that is not inlined is boxed (a heap allocation on every event).
 */
export function noveltyRepeatQuiet(hot: Float64Array, at: number, options: { readonly horizonMs: number }, seen: { readonly time: number }): boolean {
  if (hot[at + HOT_QUIET] === 0) return false;
  const time = seen.time;
  const lastSeen = hot[at + HOT_LAST_SEEN];
  if (!(time - lastSeen <= options.horizonMs)) return false;
  // Refresh at most once a minute: fewer writes on the hot path, same answers at this horizon.
  if (time - lastSeen > REFRESH_MS) hot[at + HOT_LAST_SEEN] = time;
  return true;
}

/** Doubles a `NoveltyMemory` keeps in its `hot` array. */
export const NOVELTY_HOT_SIZE = 2;
const HOT_LAST_SEEN = 0;
const HOT_QUIET = 1;
const REFRESH_MS = 60_000;

export interface NoveltyEntry {
  firstSeen: number;
  lastSeen: number;
  /** True on the observation that found the value new. */
  novel: boolean;
  trackedSpendUsd: number;
  trackSpend: boolean;
  /** Set once the spend on this new value produced a critical finding. */
  escalated: boolean;
  /**
   * For origins (IP, country): the key's running spend and expected-spend totals when the
   * value was first seen (`SeriesState.spendTotal` / `expectedTotalAt`), so the engine can
   * tell traffic added from a new place from traffic that moved there. 0 for models.
   */
  baseSpendUsd: number;
  baseExpectedUsd: number;
  /** The key's running total of spend from still-new IPs at first sight (see the engine's origin rule). */
  baseNewOriginSpendUsd: number;
}

type OriginBase = 'baseSpendUsd' | 'baseExpectedUsd' | 'baseNewOriginSpendUsd';

export interface NoveltyMemoryState {
  saturated: boolean;
  /** The origin base totals are absent in snapshots taken before origin novelty (read as 0). */
  entries: Array<[string, Omit<NoveltyEntry, OriginBase> & Partial<Pick<NoveltyEntry, OriginBase>>]>;
}
