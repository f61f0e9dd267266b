import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { idSchema } from '../common/validation';

export const REPORT_LIMITS = { description: 2000, contact: 320, keyPrefix: 64 } as const;

export const submitReportSchema = z
  .strictObject({
    keyId: idSchema.optional(),
    keyPrefix: z
      .string()
      .trim()
      .min(4, 'must be at least 4 characters')
      .max(REPORT_LIMITS.keyPrefix, `must be at most ${REPORT_LIMITS.keyPrefix} characters`)
      .optional(),
    kind: z.enum(['leaked-key', 'abuse']).default('leaked-key'),
    description: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(REPORT_LIMITS.description, `must be at most ${REPORT_LIMITS.description} characters`),
    contact: z.string().trim().max(REPORT_LIMITS.contact, `must be at most ${REPORT_LIMITS.contact} characters`).optional(),
  })
  .refine((r) => r.keyId !== undefined || r.keyPrefix !== undefined, { message: 'keyId (the key fingerprint) or keyPrefix (its display prefix) is required', path: ['keyId'] });

export type SubmitReportInput = z.output<typeof submitReportSchema>;

export class SubmitReportBody {
  @ApiPropertyOptional({ description: 'Fingerprint of the key as gateways report it (never the key itself)', maxLength: 128 })
  keyId?: string;

  @ApiPropertyOptional({ description: 'Display prefix of the key, e.g. `sk-or-…a1b2` (never the whole key)', maxLength: REPORT_LIMITS.keyPrefix })
  keyPrefix?: string;

  @ApiPropertyOptional({ enum: ['leaked-key', 'abuse'], default: 'leaked-key' })
  kind?: string;

  @ApiProperty({ description: 'What happened, where the key was seen. Anything that looks like a raw key is redacted.', maxLength: REPORT_LIMITS.description })
  description!: string;

  @ApiPropertyOptional({ description: 'How to reach the reporter (email, handle)', maxLength: REPORT_LIMITS.contact })
  contact?: string;
}

export class SubmitReportResponse {
  @ApiProperty({ example: 'rpt_3f0c…' }) reportId!: string;

  @ApiProperty({
    enum: ['accepted', 'unknown-key', 'ambiguous-key'],
    description:
      'accepted: the key was found and the worker was asked to open a critical incident (and suspend per policy); ' +
      'unknown-key: stored for review, no key matched; ambiguous-key: the prefix matched several keys, stored for review',
  })
  status!: string;

  @ApiProperty({ description: 'Number of secret-looking strings removed from description/contact before storing' })
  redacted!: number;
}
