import { Controller, Get, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminAuditRepository, type AdminAuditEntry } from '@spendguard/clickhouse/control-plane/admin-audit.repository';
import { RequiresAdminAction } from '../auth/admin-actions';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { idSchema, parseOrBadRequest } from '../common/validation';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

const auditQuerySchema = z.strictObject({
  actor: idSchema.optional(),
  target: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The admin audit log itself (admin, `audit.read`). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
@UseGuards(AdminAuthGuard)
@UseInterceptors(AdminAuditInterceptor)
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditRepository) {}

  @Get()
  @RequiresAdminAction('audit.read')
  @ApiOperation({ summary: 'Admin calls, most recent first (who, what, target, outcome; never tokens)' })
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'target', required: false, description: 'e.g. key:kf-1, incident:inc_…, account:acct-1' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ description: '{entries: [{at, actor, action, target, requestId, outcome, details}]}' })
  async list(@Query() query: Record<string, unknown>): Promise<{ entries: AdminAuditEntry[] }> {
    const filter = parseOrBadRequest(auditQuerySchema, query, 'query');
    return { entries: await this.audit.list(filter) };
  }
}
