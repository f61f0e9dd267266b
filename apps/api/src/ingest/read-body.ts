import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Reads the raw request body, refusing it as soon as it passes `maxBytes`
 * (the Content-Length is checked first, so an honest client is told at once).
 */
export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new PayloadTooLargeException(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      request.destroy();
      throw new PayloadTooLargeException(`request body exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One item of an ingest body: parsed JSON, or why it could not be parsed. */
export type BodyItem = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Splits an ingest body into items: a JSON object, a JSON array of objects, or
 * NDJSON (one JSON value per line). A malformed NDJSON line fails alone.
 */
export function splitIngestBody(text: string, contentType: string | undefined): BodyItem[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new BadRequestException('empty body: send a JSON event, a JSON array of events, or NDJSON');
  const ndjson = /ndjson|jsonlines|jsonl/i.test(contentType ?? '');
  if (!ndjson) {
    try {
      const value: unknown = JSON.parse(trimmed);
      return Array.isArray(value) ? value.map((v) => ({ ok: true, value: v })) : [{ ok: true, value }];
    } catch (error) {
      // Several lines that each parse alone are NDJSON sent as application/json.
      if (!trimmed.includes('\n')) throw new BadRequestException(`malformed JSON: ${(error as Error).message}`);
    }
  }
  return trimmed
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line): BodyItem => {
      try {
        return { ok: true, value: JSON.parse(line) };
      } catch (error) {
        return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
      }
    });
}
