import type { IncidentEngineSnapshot } from './incident-engine';
import type { IncidentTransition } from './incident.types';

/**
 * Where incident state lives between restarts (to be backed by ClickHouse / a Kafka changelog).
 * - `saveSnapshot` / `loadSnapshot`: the engine's live state; the worker saves after each
 *   batch of findings (before committing offsets) and restores it at boot.
 * - `appendTransitions`: the append-only history (every transition), for the API and reports.
 */
export interface IncidentStore {
  saveSnapshot(snapshot: IncidentEngineSnapshot): Promise<void>;
  loadSnapshot(): Promise<IncidentEngineSnapshot | undefined>;
  appendTransitions(transitions: readonly IncidentTransition[]): Promise<void>;
  listTransitions(incidentId: string): Promise<IncidentTransition[]>;
}

/** In-memory store for tests and single-process runs; round-trips through JSON like a real store. */
export class InMemoryIncidentStore implements IncidentStore {
  private snapshotJson: string | undefined;
  private readonly history: IncidentTransition[] = [];

  async saveSnapshot(snapshot: IncidentEngineSnapshot): Promise<void> {
    this.snapshotJson = JSON.stringify(snapshot);
  }

  async loadSnapshot(): Promise<IncidentEngineSnapshot | undefined> {
    return this.snapshotJson === undefined ? undefined : (JSON.parse(this.snapshotJson) as IncidentEngineSnapshot);
  }

  async appendTransitions(transitions: readonly IncidentTransition[]): Promise<void> {
    this.history.push(...transitions.map((t) => ({ ...t })));
  }

  async listTransitions(incidentId: string): Promise<IncidentTransition[]> {
    return this.history.filter((t) => t.incidentId === incidentId).map((t) => ({ ...t }));
  }
}
