import { Body, Controller, Get, Param, Put, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminAuditInterceptor } from '../audit/admin-audit.interceptor';
import { RequiresAdminAction } from '../auth/admin-actions';
import { AdminAuthGuard, type AdminRequest } from '../auth/admin-auth.guard';
import { parseId } from '../common/validation';
import { ReplaceAccountPolicyUseCase, type AccountPolicyView } from './replace-account-policy.use-case';

class AccountPolicyBody {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Detection overrides of the account: {thresholds?, caps?, keyCaps?, detectors?, keys?} (libs/detectors policy, account section)',
    example: { caps: { dayUsd: 200 }, keyCaps: { hourUsd: 20 } },
  })
  detection?: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Routing overrides: {webhooks?: [{endpointId, severities}], pagerduty?: {routingKey, severities} | null, autoSuspend?: {burst?, cap?, …}}',
    example: { autoSuspend: { burst: true, novelty: true } },
  })
  routing?: unknown;
}

class AccountPolicyResponse {
  @ApiProperty() accountId!: string;
  @ApiProperty({ description: '0 = never replaced through the API (defaults apply)' }) version!: number;
  @ApiProperty({ type: AccountPolicyBody }) policy!: AccountPolicyBody;
  @ApiPropertyOptional() changedBy?: string;
}

class ReplacedPolicyResponse extends AccountPolicyResponse {
  @ApiProperty({ description: 'The policy.replaced command sent to the worker' }) commandId!: string;
}

/** An account's detection and routing policy (admin). */
@ApiTags('policies')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/policy')
@UseGuards(AdminAuthGuard)
@UseInterceptors(AdminAuditInterceptor)
export class AccountPolicyController {
  constructor(private readonly policies: ReplaceAccountPolicyUseCase) {}

  @Get()
  @RequiresAdminAction('policies.read')
  @ApiOperation({ summary: "The account's policy set through the API (latest version)" })
  @ApiOkResponse({ type: AccountPolicyResponse })
  async read(@Param('accountId') accountId: string): Promise<AccountPolicyView> {
    return this.policies.read(parseId(accountId, 'accountId'));
  }

  @Put()
  @RequiresAdminAction('policies.replace')
  @ApiOperation({
    summary: "Replace the account's policy",
    description: 'Validated by the detection and routing libraries; every problem is listed at once (400). Stored with a new version and sent to the worker.',
  })
  @ApiBody({ type: AccountPolicyBody })
  @ApiOkResponse({ type: ReplacedPolicyResponse })
  @ApiResponse({ status: 400, description: '{message, errors: ["detection.caps.dayUsd: …", "routing.pagerduty.routingKey: …"]}' })
  async replace(@Param('accountId') accountId: string, @Body() body: unknown, @Req() request: AdminRequest): Promise<AccountPolicyView & { commandId: string }> {
    const id = parseId(accountId, 'accountId');
    const admin = request.admin!;
    const result = await this.policies.replace(id, body ?? {}, `admin:${admin.actor}`);
    admin.details.version = result.version;
    admin.details.commandId = result.commandId;
    return result;
  }
}
