/**
 * Smoke test of the integration harness: the services global-setup.ts found really work,
 * and the names uniqueName() makes are accepted by both.
 */
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { clickhouseUrl, kafkaBrokers, uniqueName } from './services';

describe('integration services', () => {
  it('creates a Kafka topic and round-trips a message', async () => {
    const topic = uniqueName('harness');
    const kafka = new Kafka({ clientId: topic, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: topic });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      expect(await admin.listTopics()).toContain(topic);

      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'account-1', value: 'hello' }] });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((done) => {
        void consumer.run({ eachMessage: async ({ message }) => done(message.value?.toString() ?? '') });
      });
      expect(received).toBe('hello');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('creates a ClickHouse database and table and reads rows back', async () => {
    const database = uniqueName('harness');
    const client = createClient({ url: clickhouseUrl() });
    try {
      expect((await client.ping()).success).toBe(true);
      await client.command({ query: `CREATE DATABASE ${database}` });
      await client.command({
        query: `CREATE TABLE ${database}.t (id UInt32, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id`,
      });
      await client.insert({ table: `${database}.t`, values: [{ id: 1, at: 0 }, { id: 2, at: 60 }], format: 'JSONEachRow' });
      const databases = await (await client.query({ query: 'SELECT name FROM system.databases', format: 'JSONEachRow' })).json<{ name: string }>();
      expect(databases.map((row) => row.name)).toContain(database);
      const rows = await (await client.query({ query: `SELECT count() AS n FROM ${database}.t`, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(rows).toEqual([{ n: '2' }]);
    } finally {
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
      await client.close();
    }
  });
});
