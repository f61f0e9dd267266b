import { readFileSync } from 'node:fs';
import { DetectionPolicy, parseDetectionPolicy } from '@spendguard/detectors/policy';

/**
 * Reads and validates a detection policy JSON file (env `DETECTION_POLICY_FILE` for the
 * worker, `--policy <file>` for the replay command). No path = the defaults: every
 * detector on for every key, no caps.
 *
 * @throws {Error} when the file cannot be read, is not JSON, or is not a valid policy;
 *   the message lists every problem, one per line, as `path: message`.
 * @example
 * loadDetectionPolicyFile(); // => DetectionPolicy.defaults()
 * loadDetectionPolicyFile('policy.json'); // reads, validates, merges with the defaults
 */
export function loadDetectionPolicyFile(path?: string): DetectionPolicy {
  if (path === undefined || path === '') return DetectionPolicy.defaults();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read detection policy file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`detection policy file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const result = parseDetectionPolicy(value);
  if (!result.ok) {
    throw new Error(`detection policy file ${path} is invalid (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}):\n` + result.errors.map((e) => `  - ${e}`).join('\n'));
  }
  return result.policy;
}
