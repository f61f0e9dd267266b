import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { IncidentsRepository } from '@spendguard/clickhouse/control-plane/incidents.repository';
import { AdminAuditInterceptor } from '../audit/admin-audit.interceptor';
import { RequiresAdminAction } from '../auth/admin-actions';
import { AdminAuthGuard, type AdminRequest } from '../auth/admin-auth.guard';
import { parseId, parseOrBadRequest } from '../common/validation';
import { ControlCommandPublisher } from '../control/control-command.publisher';
import { BuildIncidentReportUseCase, type IncidentReport } from './build-incident-report.use-case';
import {
  CommandAcceptedResponse,
  IncidentCommandBody,
  IncidentDetailDto,
  IncidentListResponse,
  incidentCommandSchema,
  listIncidentsQuerySchema,
} from './incident.dto';
import { incidentSummary, incidentView } from './incident-view';

/**
 * Incidents (admin): read from ClickHouse, where the escalate role writes them; acknowledge
 * and resolve are commands to the escalate role, which owns the live state (202).
 */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/incidents')
@UseGuards(AdminAuthGuard)
@UseInterceptors(AdminAuditInterceptor)
export class IncidentsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly incidents: IncidentsRepository,
    private readonly commands: ControlCommandPublisher,
    private readonly reports: BuildIncidentReportUseCase,
  ) {}

  @Get()
  @RequiresAdminAction('incidents.read')
  @ApiOperation({ summary: 'List incidents, most recently opened first' })
  @ApiQuery({ name: 'state', required: false, enum: ['open', 'acknowledged', 'resolved'] })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'keyId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1–500, default 50' })
  @ApiOkResponse({ type: IncidentListResponse })
  @ApiResponse({ status: 400, description: 'Invalid query (every problem listed)' })
  async list(@Query() query: Record<string, unknown>): Promise<IncidentListResponse> {
    const filter = parseOrBadRequest(listIncidentsQuerySchema, query, 'query');
    const rows = await this.incidents.list(filter);
    return { incidents: rows.map((row) => incidentSummary(incidentView(row, this.config.PUBLIC_BASE_URL))) };
  }

  @Get(':incidentId')
  @RequiresAdminAction('incidents.read')
  @ApiOperation({ summary: 'One incident with its transitions' })
  @ApiOkResponse({ type: IncidentDetailDto })
  @ApiResponse({ status: 404, description: 'No such incident' })
  async get(@Param('incidentId') incidentId: string): Promise<IncidentDetailDto> {
    const id = parseId(incidentId, 'incidentId');
    const row = await this.incidents.get(id);
    if (!row) throw new NotFoundException(`incident ${id} not found`);
    return incidentView(row, this.config.PUBLIC_BASE_URL);
  }

  @Get(':incidentId/report')
  @RequiresAdminAction('incidents.read')
  @ApiOperation({
    summary: 'Forensic report of an incident',
    description:
      'Spend per minute from 2 h before the incident to now (or 1 h after resolution) against the baseline (the 7 days before), ' +
      'models, IPs, countries and user agents during the incident versus the usual ones, first-seen values (none in the 30 days before), ' +
      'totals, the timeline and the actions taken (key status changes, webhook deliveries).',
  })
  @ApiOkResponse({ description: 'The report (see docs/forensics.md for the queries behind it)' })
  @ApiResponse({ status: 404, description: 'No such incident' })
  async report(@Param('incidentId') incidentId: string): Promise<IncidentReport> {
    return this.reports.execute(parseId(incidentId, 'incidentId'));
  }

  @Post(':incidentId/acknowledge')
  @HttpCode(202)
  @RequiresAdminAction('incidents.acknowledge')
  @ApiOperation({ summary: 'Acknowledge an incident', description: 'Sent to the worker, which acknowledges it (and its PagerDuty alert).' })
  @ApiAcceptedResponse({ type: CommandAcceptedResponse })
  @ApiResponse({ status: 404, description: 'No such incident' })
  @ApiResponse({ status: 409, description: 'The incident is resolved' })
  async acknowledge(@Param('incidentId') incidentId: string, @Body() body: IncidentCommandBody, @Req() request: AdminRequest): Promise<CommandAcceptedResponse> {
    return this.command('incident.acknowledge', incidentId, body, request);
  }

  @Post(':incidentId/resolve')
  @HttpCode(202)
  @RequiresAdminAction('incidents.resolve')
  @ApiOperation({ summary: 'Resolve an incident', description: 'Sent to the worker, which resolves it (and its PagerDuty alert).' })
  @ApiAcceptedResponse({ type: CommandAcceptedResponse })
  @ApiResponse({ status: 404, description: 'No such incident' })
  @ApiResponse({ status: 409, description: 'The incident is already resolved' })
  async resolve(@Param('incidentId') incidentId: string, @Body() body: IncidentCommandBody, @Req() request: AdminRequest): Promise<CommandAcceptedResponse> {
    return this.command('incident.resolve', incidentId, body, request);
  }

  private async command(
    type: 'incident.acknowledge' | 'incident.resolve',
    incidentId: string,
    body: unknown,
    request: AdminRequest,
  ): Promise<CommandAcceptedResponse> {
    const id = parseId(incidentId, 'incidentId');
    const { note } = parseOrBadRequest(incidentCommandSchema, body ?? {}, 'body');
    const row = await this.incidents.get(id);
    if (!row) throw new NotFoundException(`incident ${id} not found`);
    if (row.state === 'resolved') throw new ConflictException(`incident ${id} is already resolved`);
    const admin = request.admin!;
    const command = await this.commands.publish({
      type,
      accountId: row.accountId,
      actor: `admin:${admin.actor}`,
      incidentId: id,
      ...(note ? { note } : {}),
    });
    admin.details.commandId = command.commandId;
    if (note) admin.details.note = note;
    return { commandId: command.commandId, incidentId: id, type, status: 'accepted' };
  }
}
