import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { appConfig, type AppConfig } from '@spendguard/config';
import { logLevelsFrom } from '@spendguard/observability';
import { ApiModule } from './api.module';

/** Routes that read their own raw body (with their own size cap). */
const RAW_BODY_ROUTES = new Set(['/v1/events']);

/** Builds the api app (not yet listening); tests call this with their own config. */
export async function createApiApp(config: AppConfig = appConfig()): Promise<INestApplication> {
  const app = await NestFactory.create(ApiModule.forConfig(config), {
    bodyParser: false,
    logger: logLevelsFrom(config.LOG_LEVEL),
  });
  const jsonBody = json({ limit: '256kb' });
  app.use((req: Request, res: Response, next: NextFunction) => (RAW_BODY_ROUTES.has(req.path) ? next() : jsonBody(req, res, next)));
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('spendguard')
      .setDescription('Ingest, control plane and decision API of spendguard')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  return app;
}

export async function startApi(config: AppConfig = appConfig()): Promise<INestApplication> {
  const app = await createApiApp(config);
  await app.listen(config.API_PORT, config.API_HOST);
  new Logger('api').log(`listening on http://${config.API_HOST}:${config.API_PORT} (OpenAPI at /docs)`);
  return app;
}
