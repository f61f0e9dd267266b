import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { idSchema } from '../common/validation';

export const changeKeyStatusSchema = z.strictObject({
  accountId: idSchema,
  reason: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  incidentId: idSchema.optional(),
});

export class ChangeKeyStatusBody {
  @ApiProperty({ description: 'Account the key belongs to', example: 'acct-42' })
  accountId!: string;

  @ApiProperty({ description: 'Why (kept in the audit trail, sent to gateways)', maxLength: 1000, example: 'leaked on GitHub' })
  reason!: string;

  @ApiPropertyOptional({ description: 'Incident this change belongs to' })
  incidentId?: string;
}

export class KeyDecisionDto {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiPropertyOptional() accountId?: string;
  @ApiPropertyOptional({ description: 'RFC 3339 time of the last change' }) changedAt?: string;
  @ApiPropertyOptional({ description: '`admin:<name>`, `policy:auto-suspend`, `report:<id>`' }) changedBy?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() incidentId?: string;
}

export class ChangeKeyStatusResponse {
  @ApiProperty({ description: 'False when the key already was in the requested state (idempotent)' }) changed!: boolean;
  @ApiProperty({ description: 'False when the change took effect but its audit row could not be written' }) audited!: boolean;
  @ApiProperty({ type: KeyDecisionDto }) key!: KeyDecisionDto;
}

export class KeyStatusChangeDto {
  @ApiProperty() keyId!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiProperty() changedAt!: string;
  @ApiProperty() changedBy!: string;
  @ApiProperty() reason!: string;
  @ApiPropertyOptional() incidentId?: string;
}

export class KeyHistoryResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({ type: [KeyStatusChangeDto], description: 'Oldest first' }) changes!: KeyStatusChangeDto[];
}
