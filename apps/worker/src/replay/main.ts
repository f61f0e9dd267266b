/**
 * Replay command: usage events (NDJSON) in, findings (NDJSON) out. See `REPLAY_USAGE`.
 *
 *   node dist/apps/worker/src/replay/main.js [--policy policy.json] [--strict|--lenient] [events.ndjson]
 *   npx tsx apps/worker/src/replay/main.ts < events.ndjson
 *
 * Thin I/O shell around `Replay` (no Nest: it runs under plain node and tsx alike).
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { loadDetectionPolicyFile } from '../detect/load-detection-policy';
import { REPLAY_USAGE, Replay, parseReplayArgs, type ReplayArgs } from './replay';

const OUTPUT_CHUNK_CHARS = 64 * 1024;

async function write(text: string): Promise<void> {
  if (text !== '' && !process.stdout.write(text)) await once(process.stdout, 'drain');
}

function stderr(message: string): void {
  process.stderr.write(`replay: ${message}\n`);
}

async function run(args: ReplayArgs): Promise<number> {
  const policy = loadDetectionPolicyFile(args.policyFile);
  const input: Readable = args.input === undefined ? process.stdin : createReadStream(args.input);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('error', reject);
    input.once('readable', () => resolve());
    input.once('end', () => resolve());
  });
  await opened;
  const replay = new Replay(policy, stderr, args.mode);
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!replay.line(line)) break;
    if (replay.pendingChars >= OUTPUT_CHUNK_CHARS) await write(replay.takeOutput());
  }
  lines.close();
  const summary = replay.end();
  await write(replay.takeOutput());
  if (summary.invalidLines > 0) {
    stderr(`${summary.invalidLines} invalid line(s) of ${summary.lines}${summary.stopped ? '; stopped at the first one (--strict)' : ' skipped'}`);
  }
  return replay.exitCode();
}

async function main(): Promise<void> {
  // A closed pipe (`replay ... | head`) ends the command quietly instead of crashing it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  let args: ReplayArgs;
  try {
    args = parseReplayArgs(process.argv.slice(2), process.env);
  } catch (error) {
    stderr((error as Error).message);
    process.stderr.write(REPLAY_USAGE);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(REPLAY_USAGE);
    return;
  }
  try {
    process.exitCode = await run(args);
  } catch (error) {
    stderr((error as Error).message);
    process.exitCode = 2;
  }
}

void main();
