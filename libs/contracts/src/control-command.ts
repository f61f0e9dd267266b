/**
 * Control command v1: what the control plane (api) asks the escalate role
 * (worker) to do. Published to the `control-commands` topic keyed by account
 * id, so commands and findings of one account are handled in order by one
 * worker, which owns the live incident state.
 */
interface CommandBase {
  v: 1;
  /** Unique per command; the worker ignores a command id it has already applied. */
  commandId: string;
  accountId: string;
  /** Epoch ms when the api accepted the command. */
  at: number;
  /** `admin:<name>`, `report:<reportId>`, `policy:auto-suspend`. */
  actor: string;
}

export interface AcknowledgeIncidentCommand extends CommandBase {
  type: 'incident.acknowledge';
  incidentId: string;
  note?: string;
}

export interface ResolveIncidentCommand extends CommandBase {
  type: 'incident.resolve';
  incidentId: string;
  note?: string;
}

/** An abuse report opens a critical `report` incident on the key. */
export interface ReportLeakedKeyCommand extends CommandBase {
  type: 'report.leaked-key';
  reportId: string;
  keyId: string;
  description: string;
}

/** The account's policy (detection and routing) was replaced through the API. */
export interface PolicyReplacedCommand extends CommandBase {
  type: 'policy.replaced';
  /** JSON of the new {@link AccountPolicy}. */
  policy: AccountPolicy;
}

export type ControlCommand = AcknowledgeIncidentCommand | ResolveIncidentCommand | ReportLeakedKeyCommand | PolicyReplacedCommand;

/**
 * An account's policy as stored and served by the API: overrides of the
 * detection thresholds/caps (libs/detectors policy, account section) and of the
 * routing (libs/escalation policy, account section). Both validated by their
 * owning library.
 */
export interface AccountPolicy {
  detection?: unknown;
  routing?: unknown;
}
