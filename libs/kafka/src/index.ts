export * from './kafka-client';
export * from './kafka-producer.service';
export * from './kafka-topics';
export * from './kafka.module';
export * from './key-status.publisher';
export * from './retry-startup';
export * from './consumer-supervision';
export * from './key-partition';
