import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import { parseOrBadRequest } from '../common/validation';
import { SubmitReportBody, SubmitReportResponse, submitReportSchema } from './report.dto';
import { SubmitReportUseCase, type SubmitReportResult } from './submit-report.use-case';

/** Public abuse reports: no auth, rate-limited per client IP (REPORTS_PER_MINUTE). */
@ApiTags('reports')
@Controller('v1/reports')
@UseGuards(ThrottlerGuard)
@SkipThrottle({ ingest: true })
export class ReportsController {
  constructor(private readonly submit: SubmitReportUseCase) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Report a leaked key or abuse (public)',
    description:
      'Identify the key by its fingerprint (keyId) or display prefix (keyPrefix) — never the key itself: a body field that ' +
      'holds a raw key is refused (keyId/keyPrefix) or redacted (description/contact). Rate-limited per client IP; body ≤ 256 kB.',
  })
  @ApiAcceptedResponse({ type: SubmitReportResponse })
  @ApiResponse({ status: 400, description: 'Invalid body (every problem listed), or a raw key in keyId/keyPrefix' })
  @ApiResponse({ status: 413, description: 'Body over 256 kB' })
  @ApiResponse({ status: 429, description: 'Too many reports from this address; retry after a minute' })
  async report(@Body() body: SubmitReportBody, @Req() request: Request): Promise<SubmitReportResult> {
    const input = parseOrBadRequest(submitReportSchema, body ?? {}, 'report');
    return this.submit.execute(input, request.ip ?? '');
  }
}
