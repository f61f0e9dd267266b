import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startApi } from './create-api-app';

startApi().catch((error: unknown) => {
  new Logger('api').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
