import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import type { ControlCommand } from '@spendguard/contracts/control-command';
import { CLICKHOUSE_CLIENT } from '@spendguard/clickhouse';
import type { ClickHouseClient } from '@clickhouse/client';
import { AccountPoliciesReader } from '@spendguard/clickhouse/escalation/account-routing-policies.repository';
import { ClickHouseIncidentRepository } from '@spendguard/clickhouse/escalation/incident.repository';
import { ClickHouseWebhookDeliveryRepository } from '@spendguard/clickhouse/escalation/webhook-delivery.repository';
import {
  EgressGuard,
  EscalationExecutor,
  IncidentEngine,
  NodeHttpWebhookTransport,
  PagerDutyClient,
  WebhookDispatcher,
  type DispatcherEvent,
  type IncidentEngineConfig,
  type IncidentEngineSnapshot,
  type IncidentUpdate,
  type PagerDutyResult,
} from '@spendguard/escalation';
import { KAFKA, superviseConsumer } from '@spendguard/kafka';
import { ClickHouseIncidentContextProvider } from './clickhouse-incident-context';
import { parseControlCommand, parseFinding, reportFinding } from './escalate-messages';
import { KeyStatusKillSwitch } from './key-status-kill-switch';
import { RoutingPolicyRegistry } from './routing-policy-registry';
import { singleActiveAssigner } from './single-active-assigner';
import { WebhookEndpointRegistry } from './webhook-endpoints';

const HEARTBEAT_EVERY_MS = 3000;
const MINUTE_MS = 60_000;

/**
 * Escalate role: findings and control commands → incidents → pages, webhooks, suspensions.
 *
 * Topology: one consumer (group ESCALATE_GROUP_ID) on TOPIC_FINDINGS and
 * TOPIC_CONTROL_COMMANDS. Incident state is global, so the role runs as a single active
 * instance: {@link singleActiveAssigner} gives every partition to one member; other members
 * are hot standbys and take over on a rebalance (they reload the state snapshot first, and only
 * the active member ticks or delivers webhooks). Findings are rare, so one instance is plenty.
 *
 * Clock: the engine's `now` for a finding or command is the Kafka message timestamp (when the
 * detector or the api produced it), not the time we happen to consume it, so replaying a batch
 * after a crash rebuilds the same incident ids, transitions and webhook ids. The auto-resolve
 * tick (every ESCALATE_TICK_INTERVAL_MS) uses the wall clock: an incident resolves
 * INCIDENT_QUIET_MINUTES of wall time after its last finding was produced.
 *
 * Delivery, per batch (batches and ticks are serialized):
 *   apply every message to the engine → write the incidents' new versions and transitions →
 *   execute each update (suspend the key, persist webhook deliveries; PagerDuty sends are not
 *   awaited, their outcome is logged) → save the engine snapshot → resolve and commit offsets.
 * If any step fails the engine is reset to the last saved snapshot and the batch is redelivered:
 * at-least-once actions, made harmless by deterministic ids (PagerDuty dedup key, `webhook-id`)
 * and an idempotent kill switch. Invalid messages are logged and skipped (never retried).
 * PagerDuty retries live in memory: a send in progress during a restart is lost.
 */
@Injectable()
export class EscalateConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Escalate');
  private readonly consumer: Consumer;
  private readonly engineConfig: Partial<IncidentEngineConfig>;
  private readonly dispatcher: WebhookDispatcher;
  private readonly executor: EscalationExecutor;
  private engine: IncidentEngine;
  private lastSaved: IncidentEngineSnapshot | undefined;
  private active = false;
  private dispatching = false;
  private serial: Promise<unknown> = Promise.resolve();
  private tickTimer: NodeJS.Timeout | undefined;
  private readonly inFlightPages = new Set<Promise<unknown>>();

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLICKHOUSE_CLIENT) private readonly clickhouse: ClickHouseClient,
    private readonly incidents: ClickHouseIncidentRepository,
    deliveries: ClickHouseWebhookDeliveryRepository,
    endpoints: WebhookEndpointRegistry,
    private readonly policies: RoutingPolicyRegistry,
    killSwitch: KeyStatusKillSwitch,
    context: ClickHouseIncidentContextProvider,
  ) {
    this.engineConfig = {
      quietPeriodMs: Math.round(config.INCIDENT_QUIET_MINUTES * MINUTE_MS),
      cooldownMs: config.INCIDENT_COOLDOWN_MINUTES * MINUTE_MS,
    };
    this.engine = new IncidentEngine(policies, this.engineConfig);
    this.dispatcher = new WebhookDispatcher(
      {
        endpoints,
        deliveries,
        transport: new NodeHttpWebhookTransport({ allowHttp: config.WEBHOOK_ALLOW_HTTP, guard: new EgressGuard({ cidrs: config.WEBHOOK_ALLOW_CIDRS }) }),
        onEvent: (event) => this.logDispatcherEvent(event),
      },
      { retryScheduleMs: config.WEBHOOK_RETRY_SCHEDULE_SECONDS.map((s) => s * 1000), timeoutMs: config.WEBHOOK_TIMEOUT_MS },
    );
    this.executor = new EscalationExecutor({
      pagerduty: new PagerDutyClient({ baseUrl: config.PAGERDUTY_EVENTS_URL }),
      webhooks: this.dispatcher,
      killSwitch,
      context,
    });
    this.consumer = kafka.consumer({ groupId: config.ESCALATE_GROUP_ID, partitionAssigners: [singleActiveAssigner], maxWaitTimeInMs: 200 });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const assigned = Object.values(event.payload.memberAssignment).some((partitions) => partitions.length > 0);
      void this.serialized(() => this.onAssignment(assigned)).catch((error: Error) => this.logger.error(`taking over failed: ${error.message}`));
    });
    superviseConsumer(this.consumer, this.logger, 'escalate');
  }

  async onModuleInit(): Promise<void> {
    await this.loadAccountPolicies();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.config.TOPIC_FINDINGS, this.config.TOPIC_CONTROL_COMMANDS], fromBeginning: true });
    await this.consumer.run({ eachBatchAutoResolve: false, autoCommitThreshold: 1, eachBatch: (payload) => this.handleBatch(payload) });
    this.tickTimer = setInterval(() => void this.tick(), this.config.ESCALATE_TICK_INTERVAL_MS);
    this.tickTimer.unref();
    this.logger.log(
      `escalate consuming topics=${this.config.TOPIC_FINDINGS},${this.config.TOPIC_CONTROL_COMMANDS} group=${this.config.ESCALATE_GROUP_ID}`,
    );
  }

  /** Shutdown: stop ticking, let kafkajs finish the batch and leave the group, stop webhook delivery. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.tickTimer);
    await this.consumer.disconnect();
    await this.serial.catch(() => undefined);
    await this.dispatcher.stop();
    this.logger.log(`escalate stopped (pagerDutySendsInFlight=${this.inFlightPages.size})`);
  }

  /** Runs `task` after every earlier batch or tick: engine state has one writer at a time. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serial.catch(() => undefined).then(task);
    this.serial = run;
    return run;
  }

  /** On (re)join: the member given partitions reloads the saved state and delivers webhooks. */
  private async onAssignment(assigned: boolean): Promise<void> {
    if (assigned) {
      this.lastSaved = await this.incidents.loadSnapshot();
      this.engine = new IncidentEngine(this.policies, this.engineConfig, this.lastSaved);
      if (!this.dispatching) {
        await this.dispatcher.start();
        this.dispatching = true;
      }
      this.active = true;
      this.logger.log(`escalate active: live incidents=${this.engine.list().length}`);
    } else {
      this.active = false;
      if (this.dispatching) {
        await this.dispatcher.stop();
        this.dispatching = false;
      }
      this.logger.log('escalate standing by (another member is active)');
    }
  }

  private async loadAccountPolicies(): Promise<void> {
    const stored = await new AccountPoliciesReader(this.clickhouse).latestAll();
    for (const { accountId, version, policy } of stored) {
      const applied = this.policies.replaceAccount(accountId, policy?.routing);
      if (!applied.ok) this.logger.warn(`ignoring invalid routing policy accountId=${accountId} version=${version}: ${applied.errors.join('; ')}`);
    }
    if (stored.length > 0) this.logger.log(`account routing policies loaded count=${stored.length}`);
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
    try {
      await this.serialized(async () => {
        const updates: IncidentUpdate[] = [];
        for (const message of batch.messages) updates.push(...this.apply(batch.topic, batch.partition, message));
        await this.persistAndExecute(updates, true);
      });
    } finally {
      clearInterval(beat);
    }
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
  }

  /** Applies one message to the engine; invalid messages are logged and skipped. */
  private apply(topic: string, partition: number, message: KafkaMessage): IncidentUpdate[] {
    const json = message.value?.toString('utf8') ?? '';
    const now = Number(message.timestamp) || Date.now();
    const where = `topic=${topic} partition=${partition} offset=${message.offset}`;
    if (topic === this.config.TOPIC_FINDINGS) {
      const finding = parseFinding(json);
      if (!finding.ok) {
        this.logger.warn(`skipping invalid finding ${where}: ${finding.reason}`);
        return [];
      }
      const update = this.engine.onFinding(finding.value, now);
      return update ? [update] : [];
    }
    const command = parseControlCommand(json);
    if (!command.ok) {
      this.logger.warn(`skipping invalid control command ${where}: ${command.reason}`);
      return [];
    }
    return this.applyCommand(command.value, where);
  }

  private applyCommand(command: ControlCommand, where: string): IncidentUpdate[] {
    switch (command.type) {
      case 'incident.acknowledge':
      case 'incident.resolve': {
        const result =
          command.type === 'incident.acknowledge'
            ? this.engine.acknowledge(command.incidentId, command.at, command.actor, command.note)
            : this.engine.resolve(command.incidentId, command.at, command.actor, command.note);
        if (result.ok) return [result.update];
        this.logger.warn(`${command.type} not applied incidentId=${command.incidentId} commandId=${command.commandId}: ${result.error}`);
        return [];
      }
      case 'report.leaked-key': {
        const update = this.engine.onFinding(reportFinding(command), command.at);
        return update ? [update] : [];
      }
      case 'policy.replaced': {
        const applied = this.policies.replaceAccount(command.accountId, command.policy.routing);
        if (applied.ok) this.logger.log(`routing policy replaced accountId=${command.accountId} by=${command.actor}`);
        else this.logger.warn(`ignoring invalid routing policy accountId=${command.accountId} commandId=${command.commandId} ${where}: ${applied.errors.join('; ')}`);
        return [];
      }
    }
  }

  /**
   * Persist, act, save the state. On failure the engine goes back to the last saved state so
   * that a redelivered batch (or the next tick) produces the same updates again.
   */
  private async persistAndExecute(updates: IncidentUpdate[], stateChanged: boolean): Promise<void> {
    if (updates.length === 0 && !stateChanged) return;
    try {
      await this.incidents.recordUpdates(updates);
      for (const update of updates) {
        if (update.transition) {
          const t = update.transition;
          this.logger.log(`incident ${t.reason} incidentId=${t.incidentId} dedupKey=${t.dedupKey} state=${t.to} severity=${t.severityTo}`);
        }
        const result = await this.executor.execute(update);
        for (const send of result.pagerduty) this.trackPage(update, send);
      }
      const snapshot = this.engine.snapshot(Date.now());
      await this.incidents.saveSnapshot(snapshot);
      this.lastSaved = snapshot;
    } catch (error) {
      this.engine = new IncidentEngine(this.policies, this.engineConfig, this.lastSaved);
      throw error;
    }
  }

  private trackPage(update: IncidentUpdate, send: Promise<PagerDutyResult>): void {
    const tracked = send.then(
      (result) => {
        if (result.ok) this.logger.log(`pagerduty event accepted incidentId=${update.incident.id} attempts=${result.attempts}`);
        else this.logger.error(`pagerduty event failed incidentId=${update.incident.id} reason=${result.reason} attempts=${result.attempts}`);
      },
      (error: Error) => this.logger.error(`pagerduty event failed incidentId=${update.incident.id}: ${error.message}`),
    );
    this.inFlightPages.add(tracked);
    void tracked.finally(() => this.inFlightPages.delete(tracked));
  }

  /** Auto-resolve quiet incidents and evict cooled-down ones (active member only). */
  private async tick(): Promise<void> {
    try {
      await this.serialized(async () => {
        if (!this.active) return;
        const before = this.engine.list().length;
        const updates = this.engine.tick(Date.now());
        await this.persistAndExecute(updates, this.engine.list().length !== before);
      });
    } catch (error) {
      this.logger.error(`incident tick failed (retried next tick): ${(error as Error).message}`);
    }
  }

  private logDispatcherEvent(event: DispatcherEvent): void {
    switch (event.type) {
      case 'delivered':
        this.logger.log(`webhook delivered endpointId=${event.delivery.endpointId} messageId=${event.delivery.messageId} attempt=${event.attempt.attempt}`);
        break;
      case 'retry-scheduled':
        this.logger.warn(
          `webhook attempt failed endpointId=${event.delivery.endpointId} attempt=${event.attempt.attempt} error=${event.attempt.error ?? ''} nextAttemptAt=${new Date(event.delivery.nextAttemptAt).toISOString()}`,
        );
        break;
      case 'failed':
        this.logger.error(`webhook delivery failed endpointId=${event.delivery.endpointId} messageId=${event.delivery.messageId} error=${event.attempt.error ?? ''}`);
        break;
      case 'endpoint-disabled':
        this.logger.error(`webhook endpoint disabled endpointId=${event.endpointId} reason=${event.reason}`);
        break;
      case 'error':
        this.logger.error(`webhook bookkeeping failed deliveryId=${event.deliveryId}: ${event.message}`);
        break;
    }
  }
}
