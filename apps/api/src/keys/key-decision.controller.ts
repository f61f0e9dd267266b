import { Controller, Get, Header, Param, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DecisionAuthGuard } from '../auth/decision-auth.guard';
import { ID_MAX_LENGTH } from '../common/validation';
import { KeyStatusCache, type KeyDecision } from './key-status-cache.service';
import { KeyDecisionDto } from './key-status.dto';
import { BadRequestException } from '@nestjs/common';

const KEY_ID = /^[\x21-\x7e]+$/;

/**
 * The decision endpoint gateways ask before forwarding a request: answered from the
 * in-memory key-status cache, never from ClickHouse.
 */
@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/keys')
export class KeyDecisionController {
  constructor(private readonly cache: KeyStatusCache) {}

  @Get(':keyId/status')
  @UseGuards(DecisionAuthGuard)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Is this key suspended? (gateways)',
    description:
      'Answered from memory (the key-status topic, read at start and followed). Unknown keys are active. ' +
      'Authenticate with a gateway token (INGEST_TOKENS) or an admin token. 503 while statuses are still loading.',
  })
  @ApiOkResponse({ type: KeyDecisionDto })
  @ApiResponse({ status: 401, description: 'Missing or invalid token' })
  @ApiResponse({ status: 503, description: 'Key statuses still loading; retry, and apply your own fail-open/closed rule meanwhile' })
  status(@Param('keyId') keyId: string): KeyDecision {
    if (keyId.length > ID_MAX_LENGTH || !KEY_ID.test(keyId)) {
      throw new BadRequestException(`keyId must be 1–${ID_MAX_LENGTH} printable ASCII characters without spaces`);
    }
    if (!this.cache.ready) throw new ServiceUnavailableException('key statuses are still loading from Kafka; retry shortly');
    return this.cache.decide(keyId);
  }
}
