import { BadRequestException, Controller, HttpCode, Inject, Post, Req, Res, UseGuards, PayloadTooLargeException } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { SkipThrottle } from '@nestjs/throttler';
import { GatewayAuthGuard, type GatewayRequest } from '../auth/gateway-auth.guard';
import { GatewayThrottlerGuard } from './gateway-throttler.guard';
import { IngestEventsUseCase, type IngestSummary } from './ingest-events.use-case';
import { readBody, splitIngestBody } from './read-body';

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/events')
export class IngestController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ingest: IngestEventsUseCase,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(GatewayAuthGuard, GatewayThrottlerGuard)
  @SkipThrottle({ reports: true })
  @ApiOperation({
    summary: 'Publish usage events',
    description:
      'One usage event (bare v1 object or CloudEvents 1.0 envelope), a JSON array of them, or NDJSON. ' +
      'Answers after Kafka acknowledged the accepted events: 202 all accepted, 207 some rejected, 400 all rejected; ' +
      'each result says accepted or rejected with the reason.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson', 'application/cloudevents+json')
  @ApiBody({ schema: { type: 'object' } })
  @ApiResponse({ status: 202, description: 'All events accepted' })
  @ApiResponse({ status: 207, description: 'Some events rejected; see results' })
  @ApiResponse({ status: 400, description: 'Malformed body, or every event rejected' })
  @ApiResponse({ status: 401, description: 'Missing or invalid gateway token' })
  @ApiResponse({ status: 413, description: 'Body or event count over the limit' })
  @ApiResponse({ status: 429, description: 'More than INGEST_REQUESTS_PER_SECOND requests from this gateway' })
  @ApiResponse({ status: 503, description: 'Kafka unavailable: nothing accepted, retry' })
  async publish(@Req() request: GatewayRequest, @Res({ passthrough: true }) response: Response): Promise<IngestSummary> {
    const text = await readBody(request, this.config.INGEST_MAX_BODY_BYTES);
    const items = splitIngestBody(text, request.headers['content-type']);
    if (items.length > this.config.INGEST_MAX_EVENTS_PER_REQUEST) {
      throw new PayloadTooLargeException(
        `${items.length} events in one request exceed the limit of ${this.config.INGEST_MAX_EVENTS_PER_REQUEST}`,
      );
    }
    const summary = await this.ingest.execute(request.gatewayId as string, items, Date.now());
    if (summary.accepted === 0) {
      throw new BadRequestException({ message: 'no event accepted', ...summary });
    }
    if (summary.rejected > 0) response.status(207);
    return summary;
  }
}
