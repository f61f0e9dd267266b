/**
 * Shared pieces of the escalation tests: the local PagerDuty and webhook contract servers, the
 * env that points a worker at them, a key-status topic watcher and Kafka producers for
 * findings and control commands.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import type { ControlCommand, Finding, KeyStatus } from '@spendguard/contracts';
import { PagerDutyServer } from '../support/contract-servers/pagerduty-server';
import { WebhookReceiver } from '../support/contract-servers/webhook-receiver';
import { uniqueName } from '../support/services';

export const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
export const ENDPOINT_ID = 'ep_test';

export interface ContractServers {
  pagerduty: PagerDutyServer;
  receiver: WebhookReceiver;
  endpointsFile: string;
  stop(): Promise<void>;
}

export async function startContractServers(): Promise<ContractServers> {
  const pagerduty = await PagerDutyServer.start();
  const receiver = await WebhookReceiver.start();
  const dir = mkdtempSync(join(tmpdir(), 'sg-escalation-'));
  const endpointsFile = join(dir, 'webhook-endpoints.json');
  writeFileSync(endpointsFile, JSON.stringify([{ id: ENDPOINT_ID, url: receiver.url, secret: receiver.secret, description: 'test receiver' }]));
  return {
    pagerduty,
    receiver,
    endpointsFile,
    stop: async () => {
      await pagerduty.stop();
      await receiver.stop();
    },
  };
}

/** Env of the escalate role pointed at the contract servers, with compressed timings. */
export function escalationEnv(servers: ContractServers, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ESCALATE_GROUP_ID: uniqueName('esc'),
    DETECT_GROUP_ID: uniqueName('det'),
    PAGERDUTY_EVENTS_URL: servers.pagerduty.url,
    PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    WEBHOOK_ENDPOINTS_FILE: servers.endpointsFile,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_SCHEDULE_SECONDS: '0,1,2,3,3,3,3,3,3,3',
    WEBHOOK_TIMEOUT_MS: '2000',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3999',
    ESCALATE_TICK_INTERVAL_MS: '500',
    ...overrides,
  };
}

/** Collects every message of the key-status topic from the beginning. */
export class KeyStatusWatcher {
  readonly statuses: KeyStatus[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, config: AppConfig): Promise<KeyStatusWatcher> {
    const consumer = kafka.consumer({ groupId: uniqueName('ks-watch'), maxWaitTimeInMs: 100 });
    const watcher = new KeyStatusWatcher(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: config.TOPIC_KEY_STATUS, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        watcher.statuses.push(JSON.parse(message.value?.toString('utf8') ?? '{}') as KeyStatus);
      },
    });
    return watcher;
  }

  latest(keyId: string): KeyStatus | undefined {
    return this.statuses.filter((s) => s.keyId === keyId).at(-1);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export async function connectedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export async function produceFinding(producer: Producer, config: AppConfig, finding: Finding): Promise<void> {
  await producer.send({ topic: config.TOPIC_FINDINGS, messages: [{ key: finding.accountId, value: JSON.stringify(finding) }] });
}

export async function produceCommand(producer: Producer, config: AppConfig, command: ControlCommand): Promise<void> {
  await producer.send({ topic: config.TOPIC_CONTROL_COMMANDS, messages: [{ key: command.accountId, value: JSON.stringify(command) }] });
}

let findingSeq = 0;

/** A critical spike-ratio finding on a key, now. */
export function burstFinding(accountId: string, keyId: string, overrides: Partial<Finding> = {}): Finding {
  findingSeq += 1;
  return {
    v: 1,
    id: `${uniqueName('f')}-${findingSeq}`,
    time: new Date().toISOString(),
    accountId,
    keyId,
    detector: 'spike-ratio',
    metric: 'cost_usd',
    observed: 42.5,
    expected: 0.4,
    score: 106,
    threshold: 10,
    severity: 'critical',
    explanation: 'Spend in the current minute is 106x the baseline',
    ...overrides,
  };
}
