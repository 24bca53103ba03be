package dev.sluice.engine.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import dev.sluice.engine.kafka.AdminApiTest.Wire;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every version of every API a node advertises, on the wire. Kafka's Java clients send the newest
 * versions; librdkafka (kcat, confluent-kafka-python/go/.NET), older Java clients and other tools
 * send older ones, and a response field that a version lacks must not be written at it: Kafka's
 * message classes refuse to, and the gateway then closes the connection. Each API gets a real
 * request at each version and its answer is checked; an advertised API with no case here (or in
 * {@link AdminApiTest} / {@link AlterConfigsAndLogDirsTest}, named in {@link #TESTED_ELSEWHERE})
 * fails the test.
 */
class EveryApiVersionTest {
  private static final String TOPIC = "versions";
  private static final int RECORDS = 10;

  /** APIs whose every version is tested, with their semantics, in the admin test classes. */
  private static final Set<ApiKeys> TESTED_ELSEWHERE =
      Set.of(
          ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.CREATE_PARTITIONS, ApiKeys.DELETE_RECORDS,
          ApiKeys.DESCRIBE_CONFIGS, ApiKeys.DESCRIBE_CLUSTER, ApiKeys.INCREMENTAL_ALTER_CONFIGS, ApiKeys.DESCRIBE_LOG_DIRS);

  @TempDir static Path dataDir;
  static SluiceNode node;
  /** What the node advertises; a case uses the newest of these for the calls it does not test. */
  static ApiVersionsResponseData advertised;

  @BeforeAll
  static void start() throws Exception {
    node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    // partition 0 holds RECORDS records for the read-side APIs; Produce writes to partition 1
    try (Wire wire = wire()) {
      advertised = wire.send(ApiKeys.API_VERSIONS, (short) 3, apiVersionsRequest((short) 3), ApiVersionsResponseData.class);
      SimpleRecord[] records = new SimpleRecord[RECORDS];
      for (int i = 0; i < RECORDS; i++) {
        records[i] = new SimpleRecord(1_000L + i, ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
      }
      ProduceResponseData.PartitionProduceResponse r = produce(wire, max(ApiKeys.PRODUCE), 0, records);
      assertEquals(Errors.NONE.code(), r.errorCode(), "setup produce: " + r);
    }
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The newest version of {@code api} the node advertises. */
  static short max(ApiKeys api) {
    return advertised.apiKeys().find(api.id).maxVersion();
  }

  static Wire wire() throws Exception {
    return new Wire(node.kafkaPort());
  }

  interface Case {
    void run(Wire wire, short version) throws Exception;
  }

  @TestFactory
  Stream<DynamicTest> everyAdvertisedVersionIsServed() throws Exception {
    Map<ApiKeys, Case> cases = cases();
    List<DynamicTest> tests = new ArrayList<>();
    for (ApiVersionsResponseData.ApiVersion v : advertised.apiKeys()) {
      ApiKeys api = ApiKeys.forId(v.apiKey());
      if (TESTED_ELSEWHERE.contains(api)) {
        continue;
      }
      Case c = cases.get(api);
      if (c == null) {
        tests.add(DynamicTest.dynamicTest(api.name + ": no case", () -> fail(api + " is advertised but has no every-version case")));
        continue;
      }
      for (short version = v.minVersion(); version <= v.maxVersion(); version++) {
        short at = version;
        tests.add(
            DynamicTest.dynamicTest(
                api.name + " v" + at,
                () -> {
                  try (Wire wire = wire()) {
                    c.run(wire, at);
                  }
                }));
      }
    }
    assertTrue(tests.size() > 100, "every version of " + advertised.apiKeys().size() + " APIs: " + tests.size());
    return tests.stream();
  }

  private static Map<ApiKeys, Case> cases() {
    Map<ApiKeys, Case> cases = new TreeMap<>();
    cases.put(ApiKeys.API_VERSIONS, EveryApiVersionTest::apiVersions);
    cases.put(ApiKeys.PRODUCE, EveryApiVersionTest::produceCase);
    cases.put(ApiKeys.FETCH, EveryApiVersionTest::fetch);
    cases.put(ApiKeys.LIST_OFFSETS, EveryApiVersionTest::listOffsets);
    cases.put(ApiKeys.METADATA, EveryApiVersionTest::metadata);
    cases.put(ApiKeys.INIT_PRODUCER_ID, EveryApiVersionTest::initProducerId);
    cases.put(ApiKeys.FIND_COORDINATOR, EveryApiVersionTest::findCoordinator);
    cases.put(ApiKeys.JOIN_GROUP, (w, v) -> joinedGroup(w, "join-v" + v, v));
    cases.put(ApiKeys.SYNC_GROUP, EveryApiVersionTest::syncGroup);
    cases.put(ApiKeys.HEARTBEAT, EveryApiVersionTest::heartbeat);
    cases.put(ApiKeys.LEAVE_GROUP, EveryApiVersionTest::leaveGroup);
    cases.put(ApiKeys.OFFSET_COMMIT, EveryApiVersionTest::offsetCommit);
    cases.put(ApiKeys.OFFSET_FETCH, EveryApiVersionTest::offsetFetch);
    cases.put(ApiKeys.DESCRIBE_GROUPS, EveryApiVersionTest::describeGroups);
    cases.put(ApiKeys.LIST_GROUPS, EveryApiVersionTest::listGroups);
    cases.put(ApiKeys.DELETE_GROUPS, EveryApiVersionTest::deleteGroups);
    cases.put(ApiKeys.OFFSET_DELETE, EveryApiVersionTest::offsetDelete);
    cases.put(ApiKeys.ALTER_REPLICA_LOG_DIRS, EveryApiVersionTest::alterReplicaLogDirs);
    cases.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, EveryApiVersionTest::alterPartitionReassignments);
    cases.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, EveryApiVersionTest::listPartitionReassignments);
    return cases;
  }

  // ---- client basics ---------------------------------------------------------------------------

  static ApiVersionsRequestData apiVersionsRequest(short version) {
    ApiVersionsRequestData req = new ApiVersionsRequestData();
    if (version >= 3) {
      req.setClientSoftwareName("every-version-test").setClientSoftwareVersion("1.0");
    }
    return req;
  }

  static void apiVersions(Wire wire, short version) throws Exception {
    ApiVersionsResponseData r = wire.send(ApiKeys.API_VERSIONS, version, apiVersionsRequest(version), ApiVersionsResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode());
    ApiVersionsResponseData.ApiVersion fetch = r.apiKeys().find(ApiKeys.FETCH.id);
    assertNotNull(fetch, "Fetch is advertised: " + r);
  }

  static ProduceResponseData.PartitionProduceResponse produce(Wire wire, short version, int partition, SimpleRecord... records) throws Exception {
    ProduceRequestData req = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
    ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(TOPIC);
    topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(MemoryRecords.withRecords(Compression.NONE, records)));
    req.topicData().add(topic);
    ProduceResponseData resp = wire.send(ApiKeys.PRODUCE, version, req, ProduceResponseData.class);
    assertEquals(1, resp.responses().size(), "one topic: " + resp);
    ProduceResponseData.TopicProduceResponse t = resp.responses().iterator().next();
    assertEquals(TOPIC, t.name());
    assertEquals(1, t.partitionResponses().size());
    return t.partitionResponses().get(0);
  }

  static void produceCase(Wire wire, short version) throws Exception {
    long before = latestOffset(wire, 1);
    ProduceResponseData.PartitionProduceResponse r =
        produce(wire, version, 1, new SimpleRecord(("a-v" + version).getBytes(StandardCharsets.UTF_8)), new SimpleRecord(("b-v" + version).getBytes(StandardCharsets.UTF_8)));
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(before, r.baseOffset(), "the batch lands at the end");
    assertEquals(before + 2, latestOffset(wire, 1));
    if (version >= 5) {
      assertEquals(0, r.logStartOffset());
    }
  }

  static long latestOffset(Wire wire, int partition) throws Exception {
    return listOffset(wire, max(ApiKeys.LIST_OFFSETS), partition, -1L).offset();
  }

  static ListOffsetsResponseData.ListOffsetsPartitionResponse listOffset(Wire wire, short version, int partition, long timestamp) throws Exception {
    ListOffsetsRequestData req = new ListOffsetsRequestData().setReplicaId(-1);
    if (version >= 10) {
      req.setTimeoutMs(30_000);
    }
    ListOffsetsRequestData.ListOffsetsTopic t = new ListOffsetsRequestData.ListOffsetsTopic().setName(TOPIC);
    t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(partition).setTimestamp(timestamp));
    req.topics().add(t);
    ListOffsetsResponseData resp = wire.send(ApiKeys.LIST_OFFSETS, version, req, ListOffsetsResponseData.class);
    ListOffsetsResponseData.ListOffsetsPartitionResponse p = resp.topics().get(0).partitions().get(0);
    assertEquals(Errors.NONE.code(), p.errorCode(), "v" + version + " timestamp " + timestamp + ": " + p);
    return p;
  }

  static void listOffsets(Wire wire, short version) throws Exception {
    assertEquals(RECORDS, listOffset(wire, version, 0, -1L).offset(), "latest");
    assertEquals(0, listOffset(wire, version, 0, -2L).offset(), "earliest");
    ListOffsetsResponseData.ListOffsetsPartitionResponse byTime = listOffset(wire, version, 0, 1_004L);
    assertEquals(4, byTime.offset(), "the first record at or after the timestamp");
    assertEquals(1_004L, byTime.timestamp());
    if (version >= 4) {
      assertEquals(0, byTime.leaderEpoch(), "the partition's (only) leader epoch");
    }
  }

  static void fetch(Wire wire, short version) throws Exception {
    FetchRequestData req = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(0).setMaxBytes(1 << 20);
    FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopic(TOPIC);
    t.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(3).setPartitionMaxBytes(1 << 20));
    req.topics().add(t);
    FetchResponseData resp = wire.send(ApiKeys.FETCH, version, req, FetchResponseData.class);
    assertEquals(Errors.NONE.code(), resp.errorCode(), "v" + version + ": " + resp);
    FetchResponseData.PartitionData p = resp.responses().get(0).partitions().get(0);
    assertEquals(Errors.NONE.code(), p.errorCode(), "v" + version + ": " + p);
    assertEquals(RECORDS, p.highWatermark());
    if (version >= 5) {
      assertEquals(0, p.logStartOffset());
    }
    List<String> values = new ArrayList<>();
    for (Record r : ((MemoryRecords) p.records()).records()) {
      if (r.offset() >= 3) {
        values.add(new String(Utils.toArray(r.value()), StandardCharsets.UTF_8));
      }
    }
    assertEquals(List.of("v3", "v4", "v5", "v6", "v7", "v8", "v9"), values);
  }

  static void metadata(Wire wire, short version) throws Exception {
    MetadataRequestData req = new MetadataRequestData();
    req.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC));
    MetadataResponseData resp = wire.send(ApiKeys.METADATA, version, req, MetadataResponseData.class);
    assertEquals(1, resp.brokers().size(), "v" + version + ": " + resp);
    MetadataResponseData.MetadataResponseBroker broker = resp.brokers().iterator().next();
    assertEquals(node.nodeId(), broker.nodeId());
    assertEquals(node.kafkaPort(), broker.port());
    MetadataResponseData.MetadataResponseTopic topic = resp.topics().find(TOPIC);
    assertNotNull(topic, "v" + version + ": " + resp);
    assertEquals(Errors.NONE.code(), topic.errorCode());
    assertEquals(2, topic.partitions().size());
    for (MetadataResponseData.MetadataResponsePartition p : topic.partitions()) {
      assertEquals(node.nodeId(), p.leaderId());
      if (version >= 7) {
        assertEquals(0, p.leaderEpoch());
      }
    }
    if (version >= 10) {
      assertTrue(!Uuid.ZERO_UUID.equals(topic.topicId()), "a topic id from v10");
    }
  }

  static void initProducerId(Wire wire, short version) throws Exception {
    InitProducerIdRequestData req = new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000);
    InitProducerIdResponseData r = wire.send(ApiKeys.INIT_PRODUCER_ID, version, req, InitProducerIdResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertTrue(r.producerId() >= 0, "a producer id: " + r);
    assertEquals(0, r.producerEpoch());
  }

  // ---- groups ----------------------------------------------------------------------------------

  static void findCoordinator(Wire wire, short version) throws Exception {
    FindCoordinatorRequestData req = new FindCoordinatorRequestData();
    if (version >= 4) {
      req.setCoordinatorKeys(List.of("find-v" + version));
    } else {
      req.setKey("find-v" + version);
    }
    FindCoordinatorResponseData r = wire.send(ApiKeys.FIND_COORDINATOR, version, req, FindCoordinatorResponseData.class);
    if (version >= 4) {
      assertEquals(1, r.coordinators().size(), "v" + version + ": " + r);
      FindCoordinatorResponseData.Coordinator c = r.coordinators().get(0);
      assertEquals("find-v" + version, c.key());
      assertEquals(Errors.NONE.code(), c.errorCode(), "v" + version + ": " + r);
      assertEquals(node.nodeId(), c.nodeId());
      assertEquals(node.kafkaPort(), c.port());
    } else {
      assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
      assertEquals(node.nodeId(), r.nodeId());
      assertEquals(node.kafkaPort(), r.port());
    }
  }

  /** A group of one member that joined (at {@code version}) and is its leader. */
  record Joined(String group, String memberId, int generation) {}

  static Joined joinedGroup(Wire wire, String group, short version) throws Exception {
    byte[] subscription = Utils.toArray(ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(List.of(TOPIC))));
    JoinGroupRequestData req =
        new JoinGroupRequestData().setGroupId(group).setSessionTimeoutMs(30_000).setMemberId("").setProtocolType("consumer");
    if (version >= 1) {
      req.setRebalanceTimeoutMs(30_000);
    }
    req.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(subscription));
    JoinGroupResponseData r = wire.send(ApiKeys.JOIN_GROUP, version, req, JoinGroupResponseData.class);
    if (version >= 4) {
      assertEquals(Errors.MEMBER_ID_REQUIRED.code(), r.errorCode(), "v" + version + ": a member id first: " + r);
      assertTrue(!r.memberId().isEmpty());
      r = wire.send(ApiKeys.JOIN_GROUP, version, req.setMemberId(r.memberId()), JoinGroupResponseData.class);
    }
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(1, r.generationId());
    assertEquals("range", r.protocolName());
    assertEquals(r.memberId(), r.leader(), "the only member leads");
    assertEquals(1, r.members().size());
    if (version >= 7) {
      assertEquals("consumer", r.protocolType());
    }
    return new Joined(group, r.memberId(), r.generationId());
  }

  static SyncGroupResponseData sync(Wire wire, Joined g, short version, byte[] assignment) throws Exception {
    SyncGroupRequestData req = new SyncGroupRequestData().setGroupId(g.group()).setGenerationId(g.generation()).setMemberId(g.memberId());
    if (version >= 5) {
      req.setProtocolType("consumer").setProtocolName("range");
    }
    req.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(g.memberId()).setAssignment(assignment));
    return wire.send(ApiKeys.SYNC_GROUP, version, req, SyncGroupResponseData.class);
  }

  static Joined stableGroup(Wire wire, String group) throws Exception {
    Joined g = joinedGroup(wire, group, max(ApiKeys.JOIN_GROUP));
    SyncGroupResponseData s = sync(wire, g, max(ApiKeys.SYNC_GROUP), new byte[] {1, 2, 3});
    assertEquals(Errors.NONE.code(), s.errorCode(), "sync: " + s);
    return g;
  }

  static void syncGroup(Wire wire, short version) throws Exception {
    Joined g = joinedGroup(wire, "sync-v" + version, max(ApiKeys.JOIN_GROUP));
    SyncGroupResponseData r = sync(wire, g, version, new byte[] {7, (byte) version});
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(List.of((byte) 7, (byte) version), List.of(r.assignment()[0], r.assignment()[1]), "the leader's assignment comes back");
    if (version >= 5) {
      assertEquals("range", r.protocolName());
    }
  }

  static void heartbeat(Wire wire, short version) throws Exception {
    Joined g = stableGroup(wire, "heartbeat-v" + version);
    HeartbeatRequestData req = new HeartbeatRequestData().setGroupId(g.group()).setGenerationId(g.generation()).setMemberId(g.memberId());
    assertEquals(Errors.NONE.code(), wire.send(ApiKeys.HEARTBEAT, version, req, HeartbeatResponseData.class).errorCode());
    req.setGenerationId(g.generation() + 1);
    assertEquals(Errors.ILLEGAL_GENERATION.code(), wire.send(ApiKeys.HEARTBEAT, version, req, HeartbeatResponseData.class).errorCode());
  }

  static void leaveGroup(Wire wire, short version) throws Exception {
    Joined g = stableGroup(wire, "leave-v" + version);
    LeaveGroupRequestData req = new LeaveGroupRequestData().setGroupId(g.group());
    if (version >= 3) {
      req.members().add(new LeaveGroupRequestData.MemberIdentity().setMemberId(g.memberId()));
    } else {
      req.setMemberId(g.memberId());
    }
    LeaveGroupResponseData r = wire.send(ApiKeys.LEAVE_GROUP, version, req, LeaveGroupResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    if (version >= 3) {
      assertEquals(1, r.members().size());
      assertEquals(Errors.NONE.code(), r.members().get(0).errorCode());
    }
    assertEquals("Empty", describe(wire, g.group(), max(ApiKeys.DESCRIBE_GROUPS)).groupState(), "the only member left");
  }

  static void commit(Wire wire, short version, String group, long offset) throws Exception {
    OffsetCommitRequestData req = new OffsetCommitRequestData().setGroupId(group).setGenerationIdOrMemberEpoch(-1).setMemberId("");
    OffsetCommitRequestData.OffsetCommitRequestTopic t = new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(TOPIC);
    t.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(offset).setCommittedMetadata("at v" + version));
    req.topics().add(t);
    OffsetCommitResponseData r = wire.send(ApiKeys.OFFSET_COMMIT, version, req, OffsetCommitResponseData.class);
    assertEquals(Errors.NONE.code(), r.topics().get(0).partitions().get(0).errorCode(), "v" + version + ": " + r);
  }

  /** The committed offset and metadata of partition 0 of the topic, read at {@code version}. */
  static String committed(Wire wire, short version, String group) throws Exception {
    OffsetFetchRequestData req = new OffsetFetchRequestData();
    if (version >= 8) {
      req.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group)
          .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(0)))));
      OffsetFetchResponseData r = wire.send(ApiKeys.OFFSET_FETCH, version, req, OffsetFetchResponseData.class);
      OffsetFetchResponseData.OffsetFetchResponseGroup grp = r.groups().get(0);
      assertEquals(Errors.NONE.code(), grp.errorCode(), "v" + version + ": " + r);
      OffsetFetchResponseData.OffsetFetchResponsePartitions p = grp.topics().get(0).partitions().get(0);
      return p.committedOffset() + " " + p.metadata();
    }
    req.setGroupId(group).setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName(TOPIC).setPartitionIndexes(List.of(0))));
    OffsetFetchResponseData r = wire.send(ApiKeys.OFFSET_FETCH, version, req, OffsetFetchResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    OffsetFetchResponseData.OffsetFetchResponsePartition p = r.topics().get(0).partitions().get(0);
    assertEquals(Errors.NONE.code(), p.errorCode());
    return p.committedOffset() + " " + p.metadata();
  }

  static void offsetCommit(Wire wire, short version) throws Exception {
    commit(wire, version, "commit-v" + version, 5);
    assertEquals("5 at v" + version, committed(wire, max(ApiKeys.OFFSET_FETCH), "commit-v" + version));
  }

  static void offsetFetch(Wire wire, short version) throws Exception {
    commit(wire, max(ApiKeys.OFFSET_COMMIT), "fetch-v" + version, 7);
    assertEquals("7 at v" + max(ApiKeys.OFFSET_COMMIT), committed(wire, version, "fetch-v" + version));
    assertEquals("-1 ", committed(wire, version, "fetch-none-v" + version), "nothing committed");
  }

  static DescribeGroupsResponseData.DescribedGroup describe(Wire wire, String group, short version) throws Exception {
    DescribeGroupsRequestData req = new DescribeGroupsRequestData().setGroups(List.of(group));
    DescribeGroupsResponseData r = wire.send(ApiKeys.DESCRIBE_GROUPS, version, req, DescribeGroupsResponseData.class);
    assertEquals(1, r.groups().size(), "v" + version + ": " + r);
    DescribeGroupsResponseData.DescribedGroup d = r.groups().get(0);
    assertEquals(Errors.NONE.code(), d.errorCode(), "v" + version + ": " + r);
    return d;
  }

  static void describeGroups(Wire wire, short version) throws Exception {
    Joined g = stableGroup(wire, "describe-v" + version);
    DescribeGroupsResponseData.DescribedGroup d = describe(wire, g.group(), version);
    assertEquals("Stable", d.groupState());
    assertEquals("consumer", d.protocolType());
    assertEquals("range", d.protocolData());
    assertEquals(1, d.members().size());
    assertEquals(g.memberId(), d.members().get(0).memberId());
  }

  static void listGroups(Wire wire, short version) throws Exception {
    stableGroup(wire, "list-v" + version);
    ListGroupsRequestData req = new ListGroupsRequestData();
    if (version >= 4) {
      req.setStatesFilter(List.of("Stable"));
    }
    ListGroupsResponseData r = wire.send(ApiKeys.LIST_GROUPS, version, req, ListGroupsResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    ListGroupsResponseData.ListedGroup listed =
        r.groups().stream().filter(l -> l.groupId().equals("list-v" + version)).findFirst().orElseThrow(() -> new AssertionError("not listed: " + r));
    assertEquals("consumer", listed.protocolType());
    if (version >= 4) {
      assertEquals("Stable", listed.groupState());
    }
    if (version >= 5) {
      assertEquals("classic", listed.groupType());
    }
  }

  static void deleteGroups(Wire wire, short version) throws Exception {
    commit(wire, max(ApiKeys.OFFSET_COMMIT), "delete-v" + version, 3);
    Joined busy = stableGroup(wire, "delete-busy-v" + version);
    DeleteGroupsRequestData req = new DeleteGroupsRequestData().setGroupsNames(List.of("delete-v" + version, busy.group()));
    DeleteGroupsResponseData r = wire.send(ApiKeys.DELETE_GROUPS, version, req, DeleteGroupsResponseData.class);
    assertEquals(Errors.NONE.code(), r.results().find("delete-v" + version).errorCode(), "v" + version + ": " + r);
    assertEquals(Errors.NON_EMPTY_GROUP.code(), r.results().find(busy.group()).errorCode(), "v" + version + ": " + r);
    assertEquals("-1 ", committed(wire, max(ApiKeys.OFFSET_FETCH), "delete-v" + version), "its offsets went with it");
  }

  static void offsetDelete(Wire wire, short version) throws Exception {
    commit(wire, max(ApiKeys.OFFSET_COMMIT), "offset-delete-v" + version, 4);
    OffsetDeleteRequestData req = new OffsetDeleteRequestData().setGroupId("offset-delete-v" + version);
    OffsetDeleteRequestData.OffsetDeleteRequestTopic t = new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName(TOPIC);
    t.partitions().add(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0));
    req.topics().add(t);
    OffsetDeleteResponseData r = wire.send(ApiKeys.OFFSET_DELETE, version, req, OffsetDeleteResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(Errors.NONE.code(), r.topics().find(TOPIC).partitions().find(0).errorCode(), "v" + version + ": " + r);
    assertEquals("-1 ", committed(wire, max(ApiKeys.OFFSET_FETCH), "offset-delete-v" + version));
  }

  // ---- log dirs and moves ----------------------------------------------------------------------

  static void alterReplicaLogDirs(Wire wire, short version) throws Exception {
    DescribeLogDirsResponseData dirs =
        wire.send(ApiKeys.DESCRIBE_LOG_DIRS, max(ApiKeys.DESCRIBE_LOG_DIRS), new DescribeLogDirsRequestData().setTopics(null), DescribeLogDirsResponseData.class);
    String logDir = dirs.results().get(0).logDir();
    AlterReplicaLogDirsRequestData req = new AlterReplicaLogDirsRequestData();
    AlterReplicaLogDirsRequestData.AlterReplicaLogDir dir = new AlterReplicaLogDirsRequestData.AlterReplicaLogDir().setPath(logDir);
    dir.topics().add(new AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic().setName(TOPIC).setPartitions(List.of(0)));
    req.dirs().add(dir);
    AlterReplicaLogDirsRequestData.AlterReplicaLogDir elsewhere = new AlterReplicaLogDirsRequestData.AlterReplicaLogDir().setPath(logDir + "-elsewhere");
    elsewhere.topics().add(new AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic().setName(TOPIC).setPartitions(List.of(1)));
    req.dirs().add(elsewhere);
    AlterReplicaLogDirsResponseData r = wire.send(ApiKeys.ALTER_REPLICA_LOG_DIRS, version, req, AlterReplicaLogDirsResponseData.class);
    Map<Integer, Short> errors = new TreeMap<>();
    r.results().forEach(t -> t.partitions().forEach(p -> errors.put(p.partitionIndex(), p.errorCode())));
    assertEquals(Map.of(0, Errors.NONE.code(), 1, Errors.LOG_DIR_NOT_FOUND.code()), errors, "v" + version + ": " + r);
  }

  static void alterPartitionReassignments(Wire wire, short version) throws Exception {
    AlterPartitionReassignmentsRequestData req = new AlterPartitionReassignmentsRequestData().setTimeoutMs(30_000);
    AlterPartitionReassignmentsRequestData.ReassignableTopic t = new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName(TOPIC);
    // cancelling a move that is not running
    t.partitions().add(new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(0).setReplicas(null));
    req.topics().add(t);
    AlterPartitionReassignmentsResponseData r = wire.send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, version, req, AlterPartitionReassignmentsResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(Errors.NO_REASSIGNMENT_IN_PROGRESS.code(), r.responses().get(0).partitions().get(0).errorCode(), "v" + version + ": " + r);
  }

  static void listPartitionReassignments(Wire wire, short version) throws Exception {
    ListPartitionReassignmentsRequestData req = new ListPartitionReassignmentsRequestData().setTimeoutMs(30_000).setTopics(null);
    ListPartitionReassignmentsResponseData r = wire.send(ApiKeys.LIST_PARTITION_REASSIGNMENTS, version, req, ListPartitionReassignmentsResponseData.class);
    assertEquals(Errors.NONE.code(), r.errorCode(), "v" + version + ": " + r);
    assertEquals(List.of(), r.topics(), "no move is running");
  }
}
