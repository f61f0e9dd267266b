/** Default Kafka topic names; each is overridable through config. */
export const DEFAULT_TOPICS = {
  usageEvents: 'usage-events',
  usageEventsDeadLetter: 'usage-events-dlq',
  findings: 'findings',
  keyStatus: 'key-status',
  controlCommands: 'control-commands',
} as const;

/** Header names spendguard sets on Kafka messages. */
export const KAFKA_HEADERS = {
  /** On dead-lettered messages: why the message was refused. */
  deadLetterReason: 'sg-dlq-reason',
  deadLetterSourceTopic: 'sg-dlq-source-topic',
  deadLetterSourcePartition: 'sg-dlq-source-partition',
  deadLetterSourceOffset: 'sg-dlq-source-offset',
  /** Gateway that sent an event through the ingest API. */
  gatewayId: 'sg-gateway-id',
  contentType: 'content-type',
} as const;
