import { Controller, Get, NotFoundException, Param, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { WebhookAttemptsRepository } from '@spendguard/clickhouse/control-plane/webhook-attempts.repository';
import { AdminAuditInterceptor } from '../audit/admin-audit.interceptor';
import { RequiresAdminAction } from '../auth/admin-actions';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { parseId, parseOrBadRequest } from '../common/validation';
import { WebhookEndpointsReader } from './webhook-endpoints.reader';

class WebhookEndpointDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Target URL (credentials and query string hidden)' }) url!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional() accountId?: string;
}

class WebhookEndpointListResponse {
  @ApiProperty({ type: [WebhookEndpointDto] }) endpoints!: WebhookEndpointDto[];
}

class WebhookAttemptDto {
  @ApiProperty() endpointId!: string;
  @ApiProperty({ description: 'The webhook-id header (same for every attempt)' }) messageId!: string;
  @ApiProperty() deliveryId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ description: 'RFC 3339' }) at!: string;
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty({ enum: ['delivered', 'retry-scheduled', 'failed', 'endpoint-disabled'] }) outcome!: string;
  @ApiProperty() latencyMs!: number;
  @ApiPropertyOptional() error?: string;
}

class WebhookDeliveriesResponse {
  @ApiProperty() endpointId!: string;
  @ApiProperty({ type: [WebhookAttemptDto], description: 'Most recent first' }) attempts!: WebhookAttemptDto[];
}

const deliveriesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(0).optional(),
});

/** Webhook endpoints (from WEBHOOK_ENDPOINTS_FILE, secrets never shown) and their delivery log. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks/endpoints')
@UseGuards(AdminAuthGuard)
@UseInterceptors(AdminAuditInterceptor)
export class WebhooksController {
  constructor(
    private readonly endpoints: WebhookEndpointsReader,
    private readonly attempts: WebhookAttemptsRepository,
  ) {}

  @Get()
  @RequiresAdminAction('webhooks.read')
  @ApiOperation({ summary: 'Configured webhook endpoints (without secrets)' })
  @ApiOkResponse({ type: WebhookEndpointListResponse })
  list(): WebhookEndpointListResponse {
    return { endpoints: this.endpoints.list() };
  }

  @Get(':endpointId/deliveries')
  @RequiresAdminAction('webhooks.read')
  @ApiOperation({ summary: "An endpoint's delivery log: every attempt with status, latency and outcome" })
  @ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
  @ApiQuery({ name: 'before', required: false, description: 'Epoch ms: attempts before this (paging)' })
  @ApiOkResponse({ type: WebhookDeliveriesResponse })
  @ApiResponse({ status: 404, description: 'Unknown endpoint' })
  async deliveries(@Param('endpointId') endpointId: string, @Query() query: Record<string, unknown>): Promise<WebhookDeliveriesResponse> {
    const id = parseId(endpointId, 'endpointId');
    const { limit, before } = parseOrBadRequest(deliveriesQuerySchema, query, 'query');
    if (!this.endpoints.ids().has(id)) throw new NotFoundException(`webhook endpoint ${id} is not configured`);
    return { endpointId: id, attempts: await this.attempts.listForEndpoint(id, { limit, ...(before !== undefined ? { before } : {}) }) };
  }
}
