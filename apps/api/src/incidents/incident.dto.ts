import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { idSchema } from '../common/validation';

export const INCIDENT_LIST_MAX = 500;

export const listIncidentsQuerySchema = z.strictObject({
  state: z.enum(['open', 'acknowledged', 'resolved']).optional(),
  accountId: idSchema.optional(),
  keyId: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(INCIDENT_LIST_MAX).default(50),
});

export const incidentCommandSchema = z.strictObject({
  note: z.string().trim().max(1000, 'must be at most 1000 characters').optional(),
});

export class IncidentCommandBody {
  @ApiPropertyOptional({ description: 'Why (recorded in the incident timeline)', maxLength: 1000 }) note?: string;
}

export class IncidentPeakDto {
  @ApiProperty() detector!: string;
  @ApiProperty() metric!: string;
  @ApiProperty() observed!: number;
  @ApiProperty() expected!: number;
  @ApiProperty() score!: number;
  @ApiProperty() threshold!: number;
  @ApiProperty() explanation!: string;
  @ApiProperty() time!: string;
}

export class IncidentTransitionDto {
  @ApiProperty({ description: 'RFC 3339' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) from!: string | null;
  @ApiProperty() to!: string;
  @ApiProperty({ nullable: true, type: String }) severityFrom!: string | null;
  @ApiProperty() severityTo!: string;
  @ApiProperty() reason!: string;
  @ApiPropertyOptional() findingId?: string;
  @ApiPropertyOptional() actor?: string;
  @ApiPropertyOptional() note?: string;
}

export class IncidentDto {
  @ApiProperty() id!: string;
  @ApiProperty() dedupKey!: string;
  @ApiProperty() accountId!: string;
  @ApiPropertyOptional() keyId?: string;
  @ApiProperty({ description: 'Detector family: burst, cap, slow-drain, novelty, report' }) family!: string;
  @ApiProperty({ enum: ['open', 'acknowledged', 'resolved'] }) state!: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity!: string;
  @ApiProperty({ description: 'RFC 3339' }) openedAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional() acknowledgedAt?: string;
  @ApiPropertyOptional() resolvedAt?: string;
  @ApiProperty({ description: 'Event time of the first finding ("since when")' }) firstFindingTime!: string;
  @ApiProperty() findingCount!: number;
  @ApiProperty({ type: [String] }) detectors!: string[];
  @ApiProperty({ type: [String], description: 'Never-seen models, IPs, countries, user agents' }) novelValues!: string[];
  @ApiPropertyOptional({ type: IncidentPeakDto }) peak?: IncidentPeakDto;
  @ApiProperty() suspendRequested!: boolean;
  @ApiProperty() reopenCount!: number;
  @ApiProperty({ description: 'Link to the forensic report' }) reportUrl!: string;
}

export class IncidentDetailDto extends IncidentDto {
  @ApiProperty({ type: [IncidentTransitionDto] }) transitions!: IncidentTransitionDto[];
}

export class IncidentListResponse {
  @ApiProperty({ type: [IncidentDto] }) incidents!: IncidentDto[];
}

export class CommandAcceptedResponse {
  @ApiProperty({ description: 'Id of the command sent to the worker' }) commandId!: string;
  @ApiProperty() incidentId!: string;
  @ApiProperty({ enum: ['incident.acknowledge', 'incident.resolve'] }) type!: string;
  @ApiProperty({ description: 'The worker applies it asynchronously; poll GET /v1/incidents/{id}' }) status!: string;
}
