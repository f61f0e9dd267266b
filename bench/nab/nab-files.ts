/**
 * File access for the NAB benchmark: the data folder (`<category>/<file>.csv`), labels.json,
 * profiles.json and the result files. Everything here is I/O; scoring lives in scorer.ts.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CostProfile, LabelWindow } from './scorer';

export interface NabSeries {
  /** `<category>/<file>.csv`, the key used in labels.json. */
  readonly name: string;
  readonly timestamps: string[];
  /** The value column exactly as written, so result files can echo it unchanged. */
  readonly rawValues: string[];
  readonly values: number[];
}

/** Lists `<category>/<file>.csv` under a data folder, sorted. */
export function listSeries(dataDir: string): string[] {
  const names: string[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const categoryDir = join(dataDir, category);
    if (!statSync(categoryDir).isDirectory()) continue;
    for (const file of readdirSync(categoryDir).sort()) {
      if (file.endsWith('.csv')) names.push(`${category}/${file}`);
    }
  }
  return names;
}

/**
 * Parses a `timestamp,value` CSV: tolerates CRLF, a missing final newline and blank lines.
 * @throws Error on a bad header or a value that is not a number.
 */
export function parseSeriesCsv(name: string, text: string): NabSeries {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines.shift()?.trim();
  if (header !== 'timestamp,value') throw new Error(`${name}: expected header "timestamp,value", got "${header}"`);
  const timestamps: string[] = [];
  const rawValues: string[] = [];
  const values: number[] = [];
  lines.forEach((line, i) => {
    const comma = line.indexOf(',');
    const timestamp = line.slice(0, comma).trim();
    const rawValue = line.slice(comma + 1).trim();
    const value = Number(rawValue);
    if (comma < 0 || rawValue === '' || !Number.isFinite(value)) throw new Error(`${name}: row ${i + 1} is not "timestamp,value": ${line}`);
    timestamps.push(timestamp);
    rawValues.push(rawValue);
    values.push(value);
  });
  return { name, timestamps, rawValues, values };
}

/**
 * Event time in ms of a NAB timestamp `YYYY-MM-DD HH:MM:SS` (naive local time, read as UTC so
 * every day has 24 hours and "the same time yesterday" is exactly 86,400,000 ms earlier).
 * @throws Error on any other format.
 */
export function timestampMs(timestamp: string): number {
  const ms = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(timestamp) ? Date.parse(`${timestamp.replace(' ', 'T')}Z`) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`not a NAB timestamp "YYYY-MM-DD HH:MM:SS": ${timestamp}`);
  return ms;
}

export function readSeries(dataDir: string, name: string): NabSeries {
  return parseSeriesCsv(name, readFileSync(join(dataDir, name), 'utf8'));
}

/** Drops the `.ffffff` fraction NAB writes in labels so bounds compare equal to CSV timestamps. */
function labelTimestamp(timestamp: string): string {
  return timestamp.replace(/\.\d+$/, '');
}

/** Reads labels.json into windows per `<category>/<file>.csv`. */
export function readLabels(path: string): Map<string, LabelWindow[]> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, [string, string][]>;
  const labels = new Map<string, LabelWindow[]>();
  for (const [name, windows] of Object.entries(parsed)) {
    labels.set(
      name,
      windows.map(([start, end]) => [labelTimestamp(start), labelTimestamp(end)] as const),
    );
  }
  return labels;
}

/** Reads NAB's profiles.json (`{ name: { CostMatrix: { tpWeight, fpWeight, fnWeight, tnWeight } } }`). */
export function readProfiles(path: string): Record<string, CostProfile> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { CostMatrix: CostProfile }>;
  const profiles: Record<string, CostProfile> = {};
  for (const [name, { CostMatrix }] of Object.entries(parsed)) {
    profiles[name] = { tpWeight: CostMatrix.tpWeight, fpWeight: CostMatrix.fpWeight, fnWeight: CostMatrix.fnWeight };
  }
  return profiles;
}

/** Writes `<outDir>/<detector>/<category>/<file>.csv` with `timestamp,value,anomaly_score`. */
export function writeResult(outDir: string, detector: string, series: NabSeries, scores: readonly number[]): void {
  const path = join(outDir, detector, series.name);
  mkdirSync(dirname(path), { recursive: true });
  const lines = ['timestamp,value,anomaly_score'];
  series.timestamps.forEach((timestamp, i) => lines.push(`${timestamp},${series.rawValues[i]},${scores[i]}`));
  writeFileSync(path, `${lines.join('\n')}\n`);
}
