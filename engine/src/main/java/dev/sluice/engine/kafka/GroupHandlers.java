package dev.sluice.engine.kafka;

import dev.sluice.actors.Replies;
import dev.sluice.actors.group.GroupCoordinator;
import dev.sluice.actors.group.GroupDirectory;
import dev.sluice.actors.group.GroupError;
import dev.sluice.actors.group.GroupProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Kafka's classic consumer-group protocol, translated onto the group's coordinator entity
 * ({@link GroupCoordinator}, one per group id, placed by Cluster Sharding): FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
 * DescribeGroups, DeleteGroups, OffsetDelete. The new consumer protocol
 * ({@code group.protocol=consumer}, ConsumerGroupHeartbeat) is not advertised, so such clients
 * fail at once with Kafka's UnsupportedVersionException naming the missing API.
 */
final class GroupHandlers {
  private GroupHandlers() {}

  static List<ApiHandler> all(GatewayContext context) {
    return List.of(
        new FindCoordinator(context), new JoinGroup(context), new SyncGroup(context), new Heartbeat(context),
        new LeaveGroup(context), new OffsetCommit(context), new OffsetFetch(context), new ListGroups(context),
        new DescribeGroups(context), new DeleteGroups(context), new OffsetDelete(context));
  }

  private static <R> CompletionStage<R> ask(
      GatewayContext context, String groupId, Function<ActorRef<R>, GroupProtocol.Command> command, Duration timeout) {
    return Replies.direct(GroupCoordinator.entityRef(context.system(), groupId).ask(command::apply, timeout));
  }

  private static Errors error(GroupError e) {
    return Errors.valueOf(e.name());
  }

  private static CompletionStage<Optional<ApiMessage>> done(ApiMessage m) {
    return CompletableFuture.completedFuture(Optional.of(m));
  }

  private static boolean invalidGroupId(String groupId) {
    return groupId == null || groupId.isEmpty();
  }

  /** FindCoordinator: the node hosting the group coordinators (the metadata node). */
  static final class FindCoordinator implements ApiHandler {
    private final GatewayContext context;

    FindCoordinator(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.FIND_COORDINATOR;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      FindCoordinatorRequestData req = request.bodyAs(FindCoordinatorRequestData.class);
      boolean group = req.keyType() == FindCoordinatorRequest.CoordinatorType.GROUP.id();
      if (request.version() < 4) {
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
        if (!group) {
          return done(resp.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setErrorMessage("only consumer groups are coordinated").setNodeId(-1).setHost("").setPort(-1));
        }
        if (invalidGroupId(req.key())) {
          return done(resp.setErrorCode(Errors.INVALID_GROUP_ID.code()).setNodeId(-1).setHost("").setPort(-1));
        }
        int node = context.coordinatorNode(req.key());
        GatewayContext.HostPort home = context.liveBrokers().get(node);
        if (home == null) {
          return done(resp.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setNodeId(-1).setHost("").setPort(-1));
        }
        return done(resp.setNodeId(node).setHost(home.host()).setPort(home.port()));
      }
      FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
      for (String key : req.coordinatorKeys()) {
        FindCoordinatorResponseData.Coordinator c = new FindCoordinatorResponseData.Coordinator().setKey(key);
        if (!group) {
          c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setErrorMessage("only consumer groups are coordinated").setNodeId(-1).setHost("").setPort(-1);
        } else if (invalidGroupId(key)) {
          c.setErrorCode(Errors.INVALID_GROUP_ID.code()).setNodeId(-1).setHost("").setPort(-1);
        } else {
          // name the gateway of the node that runs the group's coordinator entity
          int node = context.coordinatorNode(key);
          GatewayContext.HostPort home = context.liveBrokers().get(node);
          if (home == null) {
            c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setNodeId(-1).setHost("").setPort(-1);
          } else {
            c.setNodeId(node).setHost(home.host()).setPort(home.port());
          }
        }
        resp.coordinators().add(c);
      }
      return done(resp);
    }
  }

  static final class JoinGroup implements ApiHandler {
    private final GatewayContext context;

    JoinGroup(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.JOIN_GROUP;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      JoinGroupRequestData req = request.bodyAs(JoinGroupRequestData.class);
      if (invalidGroupId(req.groupId())) {
        return done(failed(req, Errors.INVALID_GROUP_ID));
      }
      List<GroupProtocol.Protocol> protocols = new ArrayList<>();
      for (JoinGroupRequestData.JoinGroupRequestProtocol p : req.protocols()) {
        protocols.add(new GroupProtocol.Protocol(p.name(), p.metadata()));
      }
      int rebalanceTimeout = request.version() >= 1 ? req.rebalanceTimeoutMs() : req.sessionTimeoutMs();
      // the reply waits for the whole group: allow the rebalance timeout and then some
      Duration timeout = Duration.ofMillis(Math.max(rebalanceTimeout, req.sessionTimeoutMs()) + 30_000L);
      return GroupHandlers.<GroupProtocol.JoinResult>ask(
              context,
              req.groupId(),
              r ->
                  new GroupProtocol.JoinGroup(
                      req.memberId(), req.groupInstanceId(), request.header().clientId(), request.clientHost(),
                      req.sessionTimeoutMs(), rebalanceTimeout, req.protocolType(), protocols, request.version() >= 4, r),
              timeout)
          .handle(
              (r, err) -> {
                if (err != null) {
                  return Optional.<ApiMessage>of(failed(req, Errors.COORDINATOR_NOT_AVAILABLE));
                }
                JoinGroupResponseData resp =
                    new JoinGroupResponseData()
                        .setErrorCode(error(r.error()).code())
                        .setGenerationId(r.generationId())
                        .setProtocolType(r.protocolType())
                        .setProtocolName(r.protocolName() == null && request.version() < 7 ? "" : r.protocolName())
                        .setLeader(r.leaderId() == null ? "" : r.leaderId())
                        .setMemberId(r.memberId() == null ? "" : r.memberId());
                for (GroupProtocol.JoinedMember m : r.members()) {
                  resp.members()
                      .add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(m.memberId()).setGroupInstanceId(m.groupInstanceId()).setMetadata(m.metadata()));
                }
                return Optional.<ApiMessage>of(resp);
              });
    }

    private static JoinGroupResponseData failed(JoinGroupRequestData req, Errors e) {
      return new JoinGroupResponseData().setErrorCode(e.code()).setGenerationId(-1).setProtocolName("").setLeader("").setMemberId(req.memberId());
    }
  }

  static final class SyncGroup implements ApiHandler {
    private final GatewayContext context;

    SyncGroup(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.SYNC_GROUP;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      SyncGroupRequestData req = request.bodyAs(SyncGroupRequestData.class);
      if (invalidGroupId(req.groupId())) {
        return done(new SyncGroupResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()).setAssignment(new byte[0]));
      }
      List<GroupProtocol.Assignment> assignments = new ArrayList<>();
      for (SyncGroupRequestData.SyncGroupRequestAssignment a : req.assignments()) {
        assignments.add(new GroupProtocol.Assignment(a.memberId(), a.assignment()));
      }
      return GroupHandlers.<GroupProtocol.SyncResult>ask(
              context,
              req.groupId(),
              r -> new GroupProtocol.SyncGroup(req.memberId(), req.groupInstanceId(), req.generationId(), req.protocolType(), req.protocolName(), assignments, r),
              Duration.ofMinutes(5))
          .handle(
              (r, err) ->
                  Optional.<ApiMessage>of(
                      err != null
                          ? new SyncGroupResponseData().setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setAssignment(new byte[0])
                          : new SyncGroupResponseData()
                              .setErrorCode(error(r.error()).code())
                              .setProtocolType(r.protocolType())
                              .setProtocolName(r.protocolName())
                              .setAssignment(r.assignment() == null ? new byte[0] : r.assignment())));
    }
  }

  static final class Heartbeat implements ApiHandler {
    private final GatewayContext context;

    Heartbeat(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.HEARTBEAT;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      HeartbeatRequestData req = request.bodyAs(HeartbeatRequestData.class);
      if (invalidGroupId(req.groupId())) {
        return done(new HeartbeatResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
      }
      return GroupHandlers.<GroupProtocol.GroupAck>ask(
              context, req.groupId(), r -> new GroupProtocol.Heartbeat(req.memberId(), req.groupInstanceId(), req.generationId(), r), Duration.ofSeconds(30))
          .handle(
              (r, err) ->
                  Optional.<ApiMessage>of(
                      new HeartbeatResponseData().setErrorCode(err != null ? Errors.COORDINATOR_NOT_AVAILABLE.code() : error(r.error()).code())));
    }
  }

  static final class LeaveGroup implements ApiHandler {
    private final GatewayContext context;

    LeaveGroup(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.LEAVE_GROUP;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      LeaveGroupRequestData req = request.bodyAs(LeaveGroupRequestData.class);
      if (invalidGroupId(req.groupId())) {
        return done(new LeaveGroupResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
      }
      List<GroupProtocol.LeavingMember> leaving = new ArrayList<>();
      if (request.version() < 3) {
        leaving.add(new GroupProtocol.LeavingMember(req.memberId(), null));
      } else {
        for (LeaveGroupRequestData.MemberIdentity m : req.members()) {
          leaving.add(new GroupProtocol.LeavingMember(m.memberId(), m.groupInstanceId()));
        }
      }
      return GroupHandlers.<GroupProtocol.LeaveResult>ask(context, req.groupId(), r -> new GroupProtocol.LeaveGroup(leaving, r), Duration.ofSeconds(30))
          .handle(
              (r, err) -> {
                LeaveGroupResponseData resp = new LeaveGroupResponseData();
                if (err != null) {
                  return Optional.<ApiMessage>of(resp.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()));
                }
                if (request.version() < 3) {
                  GroupError e = r.error() != GroupError.NONE || r.members().isEmpty() ? r.error() : r.members().get(0).error();
                  return Optional.<ApiMessage>of(resp.setErrorCode(error(e).code()));
                }
                resp.setErrorCode(error(r.error()).code());
                for (GroupProtocol.MemberResult m : r.members()) {
                  resp.members()
                      .add(new LeaveGroupResponseData.MemberResponse().setMemberId(m.memberId()).setGroupInstanceId(m.groupInstanceId()).setErrorCode(error(m.error()).code()));
                }
                return Optional.<ApiMessage>of(resp);
              });
    }
  }

  /** Served up to v9: v10 addresses topics by id. */
  static final class OffsetCommit implements ApiHandler {
    private final GatewayContext context;

    OffsetCommit(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.OFFSET_COMMIT;
    }

    @Override
    public short maxVersion() {
      return 9;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      OffsetCommitRequestData req = request.bodyAs(OffsetCommitRequestData.class);
      List<GroupProtocol.PartitionOffset> offsets = new ArrayList<>();
      for (OffsetCommitRequestData.OffsetCommitRequestTopic t : req.topics()) {
        for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
          offsets.add(new GroupProtocol.PartitionOffset(t.name(), p.partitionIndex(), p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata()));
        }
      }
      if (invalidGroupId(req.groupId())) {
        return done(response(offsets, p -> Errors.INVALID_GROUP_ID));
      }
      return GroupHandlers.<GroupProtocol.CommitResult>ask(
              context,
              req.groupId(),
              r -> new GroupProtocol.CommitOffsets(req.memberId(), req.groupInstanceId(), req.generationIdOrMemberEpoch(), offsets, r),
              Duration.ofSeconds(30))
          .handle(
              (r, err) -> {
                if (err != null) {
                  return Optional.<ApiMessage>of(response(offsets, p -> Errors.COORDINATOR_NOT_AVAILABLE));
                }
                Map<String, GroupError> byPartition = new LinkedHashMap<>();
                for (GroupProtocol.PartitionResult pr : r.partitions()) {
                  byPartition.put(pr.topic() + "\u0000" + pr.partition(), pr.error());
                }
                return Optional.<ApiMessage>of(
                    response(
                        offsets,
                        p -> {
                          GroupError e = r.error() != GroupError.NONE ? r.error() : byPartition.getOrDefault(p.topic() + "\u0000" + p.partition(), GroupError.NONE);
                          return error(e);
                        }));
              });
    }

    private static OffsetCommitResponseData response(List<GroupProtocol.PartitionOffset> offsets, Function<GroupProtocol.PartitionOffset, Errors> errorOf) {
      OffsetCommitResponseData resp = new OffsetCommitResponseData();
      Map<String, OffsetCommitResponseData.OffsetCommitResponseTopic> topics = new LinkedHashMap<>();
      for (GroupProtocol.PartitionOffset p : offsets) {
        OffsetCommitResponseData.OffsetCommitResponseTopic t =
            topics.computeIfAbsent(
                p.topic(),
                name -> {
                  OffsetCommitResponseData.OffsetCommitResponseTopic nt = new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(name);
                  resp.topics().add(nt);
                  return nt;
                });
        t.partitions().add(new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(p.partition()).setErrorCode(errorOf.apply(p).code()));
      }
      return resp;
    }
  }

  /** Served up to v9: v10 addresses topics by id. */
  static final class OffsetFetch implements ApiHandler {
    private final GatewayContext context;

    OffsetFetch(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.OFFSET_FETCH;
    }

    @Override
    public short maxVersion() {
      return 9;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      OffsetFetchRequestData req = request.bodyAs(OffsetFetchRequestData.class);
      if (request.version() < 8) {
        List<GroupProtocol.TopicPartition> partitions = partitions(req.topics() == null ? null : toGroupTopics(req.topics()));
        return fetch(req.groupId(), partitions)
            .thenApply(
                g -> {
                  OffsetFetchResponseData resp = new OffsetFetchResponseData().setErrorCode(g.errorCode());
                  for (OffsetFetchResponseData.OffsetFetchResponseTopics t : g.topics()) {
                    OffsetFetchResponseData.OffsetFetchResponseTopic old = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                    for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions()) {
                      old.partitions()
                          .add(
                              new OffsetFetchResponseData.OffsetFetchResponsePartition()
                                  .setPartitionIndex(p.partitionIndex())
                                  .setCommittedOffset(p.committedOffset())
                                  .setCommittedLeaderEpoch(p.committedLeaderEpoch())
                                  .setMetadata(p.metadata())
                                  .setErrorCode(p.errorCode()));
                    }
                    resp.topics().add(old);
                  }
                  return Optional.<ApiMessage>of(resp);
                });
      }
      List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> groups = new ArrayList<>();
      for (OffsetFetchRequestData.OffsetFetchRequestGroup g : req.groups()) {
        groups.add(fetch(g.groupId(), partitions(g.topics())).toCompletableFuture());
      }
      return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
          .thenApply(
              v -> {
                OffsetFetchResponseData resp = new OffsetFetchResponseData();
                for (CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> g : groups) {
                  resp.groups().add(g.join());
                }
                return Optional.<ApiMessage>of(resp);
              });
    }

    private static List<OffsetFetchRequestData.OffsetFetchRequestTopics> toGroupTopics(List<OffsetFetchRequestData.OffsetFetchRequestTopic> topics) {
      List<OffsetFetchRequestData.OffsetFetchRequestTopics> out = new ArrayList<>();
      for (OffsetFetchRequestData.OffsetFetchRequestTopic t : topics) {
        out.add(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(t.name()).setPartitionIndexes(t.partitionIndexes()));
      }
      return out;
    }

    private static List<GroupProtocol.TopicPartition> partitions(List<OffsetFetchRequestData.OffsetFetchRequestTopics> topics) {
      if (topics == null) {
        return null;
      }
      List<GroupProtocol.TopicPartition> out = new ArrayList<>();
      for (OffsetFetchRequestData.OffsetFetchRequestTopics t : topics) {
        for (int p : t.partitionIndexes()) {
          out.add(new GroupProtocol.TopicPartition(t.name(), p));
        }
      }
      return out;
    }

    private CompletionStage<OffsetFetchResponseData.OffsetFetchResponseGroup> fetch(String groupId, List<GroupProtocol.TopicPartition> partitions) {
      OffsetFetchResponseData.OffsetFetchResponseGroup group = new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(groupId);
      if (invalidGroupId(groupId)) {
        return CompletableFuture.completedFuture(group.setErrorCode(Errors.INVALID_GROUP_ID.code()));
      }
      return GroupHandlers.<GroupProtocol.OffsetsResult>ask(context, groupId, r -> new GroupProtocol.FetchOffsets(partitions, r), Duration.ofSeconds(30))
          .handle(
              (r, err) -> {
                if (err != null) {
                  return group.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code());
                }
                group.setErrorCode(error(r.error()).code());
                Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
                for (GroupProtocol.PartitionOffset o : r.offsets()) {
                  OffsetFetchResponseData.OffsetFetchResponseTopics t =
                      topics.computeIfAbsent(
                          o.topic(),
                          name -> {
                            OffsetFetchResponseData.OffsetFetchResponseTopics nt = new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(name);
                            group.topics().add(nt);
                            return nt;
                          });
                  t.partitions()
                      .add(
                          new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                              .setPartitionIndex(o.partition())
                              .setCommittedOffset(o.offset())
                              .setCommittedLeaderEpoch(o.leaderEpoch())
                              .setMetadata(o.metadata() == null ? "" : o.metadata()));
                }
                return group;
              });
    }
  }

  /** ListGroups: every group the directory knows, with its current state. */
  static final class ListGroups implements ApiHandler {
    private final GatewayContext context;

    ListGroups(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.LIST_GROUPS;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      ListGroupsRequestData req = request.bodyAs(ListGroupsRequestData.class);
      return GroupDirectory.entityRef(context.system())
          .<GroupDirectory.GroupIds>ask(GroupDirectory.ListIds::new, context.settings().adminTimeout())
          .thenCompose(
              ids -> {
                List<CompletableFuture<GroupProtocol.GroupDescription>> described = new ArrayList<>();
                for (String id : ids.groupIds()) {
                  described.add(
                      GroupHandlers.<GroupProtocol.GroupDescription>ask(context, id, GroupProtocol.Describe::new, Duration.ofSeconds(30)).toCompletableFuture());
                }
                return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new))
                    .thenApply(
                        v -> {
                          ListGroupsResponseData resp = new ListGroupsResponseData();
                          for (CompletableFuture<GroupProtocol.GroupDescription> f : described) {
                            GroupProtocol.GroupDescription d = f.join();
                            if (d.state().equals("Dead")) {
                              continue;
                            }
                            boolean stateOk = req.statesFilter().isEmpty() || req.statesFilter().stream().anyMatch(s -> s.equalsIgnoreCase(d.state()));
                            boolean typeOk = req.typesFilter().isEmpty() || req.typesFilter().stream().anyMatch(t -> t.equalsIgnoreCase("classic"));
                            if (stateOk && typeOk) {
                              resp.groups()
                                  .add(
                                      new ListGroupsResponseData.ListedGroup()
                                          .setGroupId(d.groupId())
                                          .setProtocolType(d.protocolType() == null ? "" : d.protocolType())
                                          .setGroupState(d.state())
                                          .setGroupType("classic"));
                            }
                          }
                          return Optional.<ApiMessage>of(resp);
                        });
              })
          .exceptionally(e -> Optional.of(new ListGroupsResponseData().setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())));
    }
  }

  static final class DescribeGroups implements ApiHandler {
    private final GatewayContext context;

    DescribeGroups(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.DESCRIBE_GROUPS;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      DescribeGroupsRequestData req = request.bodyAs(DescribeGroupsRequestData.class);
      List<CompletableFuture<DescribeGroupsResponseData.DescribedGroup>> groups = new ArrayList<>();
      for (String id : req.groups()) {
        if (invalidGroupId(id)) {
          groups.add(CompletableFuture.completedFuture(new DescribeGroupsResponseData.DescribedGroup().setGroupId(id).setErrorCode(Errors.INVALID_GROUP_ID.code())));
          continue;
        }
        groups.add(
            GroupHandlers.<GroupProtocol.GroupDescription>ask(context, id, GroupProtocol.Describe::new, Duration.ofSeconds(30))
                .handle(
                    (d, err) -> {
                      DescribeGroupsResponseData.DescribedGroup g = new DescribeGroupsResponseData.DescribedGroup().setGroupId(id);
                      if (err != null) {
                        return g.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code());
                      }
                      g.setErrorCode(error(d.error()).code())
                          .setGroupState(d.state())
                          .setProtocolType(d.protocolType() == null ? "" : d.protocolType())
                          .setProtocolData(d.protocolName() == null ? "" : d.protocolName())
                          .setAuthorizedOperations(req.includeAuthorizedOperations() ? 0 : Integer.MIN_VALUE);
                      if (request.version() >= 6 && d.state().equals("Dead")) {
                        g.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Group " + id + " not found.");
                      }
                      for (GroupProtocol.MemberDescription m : d.members()) {
                        g.members()
                            .add(
                                new DescribeGroupsResponseData.DescribedGroupMember()
                                    .setMemberId(m.memberId())
                                    .setGroupInstanceId(m.groupInstanceId())
                                    .setClientId(m.clientId())
                                    .setClientHost(m.clientHost())
                                    .setMemberMetadata(m.metadata() == null ? new byte[0] : m.metadata())
                                    .setMemberAssignment(m.assignment() == null ? new byte[0] : m.assignment()));
                      }
                      return g;
                    })
                .toCompletableFuture());
      }
      return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
          .thenApply(
              v -> {
                DescribeGroupsResponseData resp = new DescribeGroupsResponseData();
                for (CompletableFuture<DescribeGroupsResponseData.DescribedGroup> g : groups) {
                  resp.groups().add(g.join());
                }
                return Optional.<ApiMessage>of(resp);
              });
    }
  }

  static final class DeleteGroups implements ApiHandler {
    private final GatewayContext context;

    DeleteGroups(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.DELETE_GROUPS;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      DeleteGroupsRequestData req = request.bodyAs(DeleteGroupsRequestData.class);
      List<CompletableFuture<DeleteGroupsResponseData.DeletableGroupResult>> results = new ArrayList<>();
      for (String id : req.groupsNames()) {
        if (invalidGroupId(id)) {
          results.add(CompletableFuture.completedFuture(new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(id).setErrorCode(Errors.INVALID_GROUP_ID.code())));
          continue;
        }
        results.add(
            GroupHandlers.<GroupProtocol.GroupAck>ask(context, id, GroupProtocol.DeleteGroup::new, Duration.ofSeconds(30))
                .handle(
                    (r, err) ->
                        new DeleteGroupsResponseData.DeletableGroupResult()
                            .setGroupId(id)
                            .setErrorCode(err != null ? Errors.COORDINATOR_NOT_AVAILABLE.code() : error(r.error()).code()))
                .toCompletableFuture());
      }
      return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
          .thenApply(
              v -> {
                DeleteGroupsResponseData resp = new DeleteGroupsResponseData();
                for (CompletableFuture<DeleteGroupsResponseData.DeletableGroupResult> r : results) {
                  resp.results().add(r.join());
                }
                return Optional.<ApiMessage>of(resp);
              });
    }
  }

  static final class OffsetDelete implements ApiHandler {
    private final GatewayContext context;

    OffsetDelete(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.OFFSET_DELETE;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      OffsetDeleteRequestData req = request.bodyAs(OffsetDeleteRequestData.class);
      if (invalidGroupId(req.groupId())) {
        return done(new OffsetDeleteResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
      }
      List<GroupProtocol.TopicPartition> partitions = new ArrayList<>();
      for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : req.topics()) {
        for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
          partitions.add(new GroupProtocol.TopicPartition(t.name(), p.partitionIndex()));
        }
      }
      return GroupHandlers.<GroupProtocol.CommitResult>ask(context, req.groupId(), r -> new GroupProtocol.DeleteOffsets(partitions, r), Duration.ofSeconds(30))
          .handle(
              (r, err) -> {
                OffsetDeleteResponseData resp = new OffsetDeleteResponseData();
                if (err != null) {
                  return Optional.<ApiMessage>of(resp.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()));
                }
                resp.setErrorCode(error(r.error()).code());
                if (r.error() == GroupError.NONE) {
                  for (GroupProtocol.PartitionResult pr : r.partitions()) {
                    OffsetDeleteResponseData.OffsetDeleteResponseTopic t = resp.topics().find(pr.topic());
                    if (t == null) {
                      t = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(pr.topic());
                      resp.topics().add(t);
                    }
                    t.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition().setPartitionIndex(pr.partition()).setErrorCode(error(pr.error()).code()));
                  }
                }
                return Optional.<ApiMessage>of(resp);
              });
    }
  }
}
