import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const SINGLE_ACTIVE_ASSIGNER_NAME = 'SpendguardSingleActive';

/**
 * Partition assigner that gives every partition of every subscribed topic to one member of the
 * group (the lowest member id) and nothing to the others: the escalate role runs as a single
 * active instance with hot standbys. When the active member leaves or dies, Kafka rebalances
 * and a standby receives everything. Incident state is global (one live incident per
 * account / key / family, quiet timers across accounts), and findings are rare, so one active
 * instance is enough and keeps the state in one place.
 */
export const singleActiveAssigner: PartitionAssigner = ({ cluster }) => ({
  name: SINGLE_ACTIVE_ASSIGNER_NAME,
  version: 1,
  async assign({ members, topics }) {
    const active = [...members].map((m) => m.memberId).sort()[0];
    const everything: Record<string, number[]> = {};
    for (const topic of topics) {
      everything[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
    }
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: memberId === active ? everything : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: SINGLE_ACTIVE_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
