import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { KeyStatusAuditRepository } from '@spendguard/clickhouse';
import { AdminAuditInterceptor } from '../audit/admin-audit.interceptor';
import { RequiresAdminAction } from '../auth/admin-actions';
import { AdminAuthGuard, type AdminRequest } from '../auth/admin-auth.guard';
import { parseId, parseOrBadRequest } from '../common/validation';
import { ChangeKeyStatusUseCase, type ChangeKeyStatusResult } from './change-key-status.use-case';
import {
  ChangeKeyStatusBody,
  ChangeKeyStatusResponse,
  KeyHistoryResponse,
  changeKeyStatusSchema,
} from './key-status.dto';

/** The manual kill switch and the key's audit trail (admin). */
@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/keys')
@UseGuards(AdminAuthGuard)
@UseInterceptors(AdminAuditInterceptor)
export class KeysController {
  constructor(
    private readonly changeStatus: ChangeKeyStatusUseCase,
    private readonly history: KeyStatusAuditRepository,
  ) {}

  @Post(':keyId/suspend')
  @HttpCode(200)
  @RequiresAdminAction('keys.suspend')
  @ApiOperation({
    summary: 'Suspend a key (kill switch)',
    description:
      'Publishes the suspension to the compacted key-status topic (gateways block the key) and records it in the audit trail. ' +
      'Idempotent: suspending a suspended key answers 200 with changed=false.',
  })
  @ApiOkResponse({ type: ChangeKeyStatusResponse })
  @ApiResponse({ status: 400, description: 'Invalid key id or body (every problem listed)' })
  @ApiResponse({ status: 401, description: 'Missing or invalid admin token' })
  @ApiResponse({ status: 403, description: 'Admin not allowed to suspend keys' })
  @ApiResponse({ status: 409, description: 'The key belongs to another account' })
  @ApiServiceUnavailableResponse({ description: 'Kafka unavailable or key statuses still loading; nothing changed' })
  async suspend(@Param('keyId') keyId: string, @Body() body: ChangeKeyStatusBody, @Req() request: AdminRequest): Promise<ChangeKeyStatusResult> {
    return this.change('suspended', keyId, body, request);
  }

  @Post(':keyId/resume')
  @HttpCode(200)
  @RequiresAdminAction('keys.resume')
  @ApiOperation({ summary: 'Resume a suspended key', description: 'Idempotent: resuming an active key answers 200 with changed=false.' })
  @ApiOkResponse({ type: ChangeKeyStatusResponse })
  @ApiResponse({ status: 400, description: 'Invalid key id or body' })
  @ApiResponse({ status: 401, description: 'Missing or invalid admin token' })
  @ApiResponse({ status: 403, description: 'Admin not allowed to resume keys' })
  @ApiResponse({ status: 409, description: 'The key belongs to another account' })
  @ApiServiceUnavailableResponse({ description: 'Kafka unavailable or key statuses still loading; nothing changed' })
  async resume(@Param('keyId') keyId: string, @Body() body: ChangeKeyStatusBody, @Req() request: AdminRequest): Promise<ChangeKeyStatusResult> {
    return this.change('active', keyId, body, request);
  }

  @Get(':keyId/history')
  @RequiresAdminAction('keys.read')
  @ApiOperation({ summary: "A key's status changes (audit trail), oldest first", description: 'Read from ClickHouse key_status_changes.' })
  @ApiOkResponse({ type: KeyHistoryResponse })
  async keyHistory(@Param('keyId') keyId: string): Promise<KeyHistoryResponse> {
    const id = parseId(keyId, 'keyId');
    return { keyId: id, changes: await this.history.history(id) };
  }

  private async change(target: 'active' | 'suspended', keyId: string, body: unknown, request: AdminRequest): Promise<ChangeKeyStatusResult> {
    const id = parseId(keyId, 'keyId');
    const input = parseOrBadRequest(changeKeyStatusSchema, body ?? {}, 'body');
    const admin = request.admin!;
    admin.details.accountId = input.accountId;
    admin.details.reason = input.reason;
    if (input.incidentId) admin.details.incidentId = input.incidentId;
    const result = await this.changeStatus.execute(target, { ...input, keyId: id, actor: `admin:${admin.actor}` });
    admin.details.changed = result.changed;
    return result;
  }
}
