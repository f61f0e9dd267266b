import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { createKafka } from './kafka-client';
import { KafkaProducerService } from './kafka-producer.service';
import { KAFKA } from './kafka-topics';
import { KeyStatusPublisher } from './key-status.publisher';

@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID }),
    },
    KafkaProducerService,
    KeyStatusPublisher,
  ],
  exports: [KAFKA, KafkaProducerService, KeyStatusPublisher],
})
export class KafkaModule {}
