import type { NoveltyMemory } from '../detectors/novelty.detector';
import type { ResolvedSettings } from '../policy/detection-policy';
import type { EngineSettings } from '../policy/detection-policy.schema';
import { SeriesState, type SeriesPrior, type SeriesStateSnapshot } from './series-state';

/** An account the engine tracks: its own series (it is one, like `KeySeries`) and its keys by key id. */
export class AccountSeries extends SeriesState {
  declare readonly keyId: undefined;
  readonly keys = new Map<string, KeySeries>();

  constructor(accountId: string, settings: ResolvedSettings, engine: EngineSettings, prior: SeriesPrior, state?: SeriesStateSnapshot) {
    super(accountId, undefined, settings, engine, prior, state);
  }
}

/**
 * A key the engine tracks: its series plus what novelty and the origin rule remember of it.
 * One object rather than a record pointing at its series: every event of the key reads both,
 * and with many keys each extra object on that path is a cache miss of its own.
 */
export class KeySeries extends SeriesState {
  declare readonly keyId: string;
  /** Per attribute, indexed like the engine's NOVELTY_ATTRIBUTES; created on the attribute's first non-empty value. */
  novelty: Array<NoveltyMemory | undefined> = [undefined, undefined, undefined, undefined];
  /** Bucket start of the last novelty finding per attribute (dedupe per bucket). */
  noveltyBucket: number[] = [-1, -1, -1, -1];
  /** Time of the last origin (IP/country) page: one per key and novelty spend window. */
  originPagedAt = -Infinity;
  /** Running total of the spend made from an IP that was still new (within the spend window of its first sight). */
  newOriginSpend = 0;
  /** `firstSeen` is the engine's "seen in rollups only" mark (a flag, so an event need not read the boxed number). */
  awaitingFirstEvent = false;
  /** The `last` value of each novelty memory (see `DetectionEngine.judgeNovelty`), kept in step after every call into the memory. */
  lastModel: string | undefined = undefined;
  lastIp: string | undefined = undefined;
  lastCountry: string | undefined = undefined;
  lastUserAgent: string | undefined = undefined;

  constructor(
    readonly account: AccountSeries,
    keyId: string,
    /** Event time of the key's first event (novelty warm-up starts there). */
    public firstSeen: number,
    settings: ResolvedSettings,
    engine: EngineSettings,
    prior: SeriesPrior,
    state?: SeriesStateSnapshot,
  ) {
    super(account.accountId, keyId, settings, engine, prior, state);
  }
}
