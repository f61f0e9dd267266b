import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/**
 * Identifiers in paths and bodies: the same rule as the usage event contract
 * (printable ASCII without spaces, at most 128 characters).
 */
export const ID_MAX_LENGTH = 128;
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** `path: message` for every issue, so a client fixes everything in one round trip. */
export function listIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}

/** Parses `input` or answers 400 listing every problem. */
export function parseOrBadRequest<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new BadRequestException({ message: `invalid ${what}`, errors: listIssues(result.error) });
  return result.data;
}

/** A path parameter that must be an identifier. */
export function parseId(value: string, name: string): string {
  const result = idSchema.safeParse(value);
  if (!result.success) throw new BadRequestException({ message: `invalid ${name}`, errors: listIssues(result.error).map((e) => `${name}${e.slice(e.indexOf(':'))}`) });
  return result.data;
}
