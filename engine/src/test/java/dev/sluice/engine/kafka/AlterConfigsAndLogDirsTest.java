package dev.sluice.engine.kafka;

import static dev.sluice.engine.kafka.AdminApiTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeReplicaLogDirsResult.ReplicaLogDirInfo;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionReplica;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IncrementalAlterConfigs and DescribeLogDirs against one Sluice node: through a stock
 * {@link Admin} client, and on the wire at every supported version. Tests share the node and use
 * their own topic names.
 */
class AlterConfigsAndLogDirsTest {
  private static final String DEFAULT_RETENTION_MS = Long.toString(7L * 24 * 3600 * 1000);

  @TempDir static Path dataDir;
  static SluiceNode node;
  static Admin admin;

  @BeforeAll
  static void start() {
    node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort()));
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (node != null) {
      node.close();
    }
  }

  /** The future fails with {@code type}, whose message contains {@code text}. */
  static <T extends Throwable> T failsWith(Class<T> type, String text, KafkaFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(future), "expected " + type.getSimpleName());
    T cause = assertInstanceOf(type, e.getCause(), "cause of the failure");
    assertTrue(cause.getMessage().contains(text), "message should say '" + text + "': " + cause.getMessage());
    return cause;
  }

  static ConfigResource topic(String name) {
    return new ConfigResource(ConfigResource.Type.TOPIC, name);
  }

  static ConfigResource broker(String id) {
    return new ConfigResource(ConfigResource.Type.BROKER, id);
  }

  static AlterConfigOp set(String key, String value) {
    return new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
  }

  static AlterConfigOp delete(String key) {
    return new AlterConfigOp(new ConfigEntry(key, null), AlterConfigOp.OpType.DELETE);
  }

  static KafkaFuture<Void> alter(ConfigResource resource, AlterConfigOp... ops) {
    return admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all();
  }

  static Config describe(String topicName) throws Exception {
    return await(admin.describeConfigs(List.of(topic(topicName))).all()).get(topic(topicName));
  }

  static String nodeId() {
    return Integer.toString(node.nodeId());
  }

  static String journalDir() {
    return node.dataDir().resolve("journal").toAbsolutePath().normalize().toString();
  }

  // ---- IncrementalAlterConfigs through the Admin client --------------------------------------

  @Test
  void setsATopicSettingAndDeleteResetsItToTheDefault() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("alter-retention", 1, (short) 1))).all());

    await(alter(topic("alter-retention"), set("retention.ms", "3600000"), set("segment.bytes", "1048576")));
    Config set = describe("alter-retention");
    assertEquals("3600000", set.get("retention.ms").value());
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, set.get("retention.ms").source());
    assertEquals("1048576", set.get("segment.bytes").value(), "accepted-but-unenforced settings are stored too");

    // Settings not named keep their values.
    await(alter(topic("alter-retention"), set("max.message.bytes", "2048")));
    assertEquals("3600000", describe("alter-retention").get("retention.ms").value());

    await(alter(topic("alter-retention"), delete("retention.ms"), delete("segment.bytes")));
    Config reset = describe("alter-retention");
    assertEquals(DEFAULT_RETENTION_MS, reset.get("retention.ms").value(), "DELETE resets to Kafka's default");
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, reset.get("retention.ms").source());
    assertNull(reset.get("segment.bytes"), "an unenforced setting deleted is no longer reported");
    assertEquals("2048", reset.get("max.message.bytes").value());
  }

  @Test
  void validateOnlyChecksWithoutChanging() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("alter-validate", 1, (short) 1))).all());
    AlterConfigsOptions validateOnly = new AlterConfigsOptions().validateOnly(true);

    await(admin.incrementalAlterConfigs(Map.of(topic("alter-validate"), List.of(set("retention.ms", "1000"))), validateOnly).all());
    assertEquals(DEFAULT_RETENTION_MS, describe("alter-validate").get("retention.ms").value(), "validate_only must not change it");

    failsWith(
        InvalidConfigurationException.class, "retention.ms",
        admin.incrementalAlterConfigs(Map.of(topic("alter-validate"), List.of(set("retention.ms", "soon"))), validateOnly).all());
    failsWith(
        InvalidConfigurationException.class, "no.such.setting",
        admin.incrementalAlterConfigs(Map.of(topic("alter-validate"), List.of(delete("no.such.setting"))), validateOnly).all());
    failsWith(
        UnknownTopicOrPartitionException.class, "",
        admin.incrementalAlterConfigs(Map.of(topic("alter-no-such-topic"), List.of(set("retention.ms", "1000"))), validateOnly).all());
  }

  @Test
  void throttleDeletionsAreAcceptedAsNoOps() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("alter-throttles", 1, (short) 1).configs(Map.of("retention.ms", "60000")))).all());
    Config before = describe("alter-throttles");

    // What kafka-reassign-partitions --verify sends once the moves are done.
    await(alter(topic("alter-throttles"), delete("leader.replication.throttled.replicas"), delete("follower.replication.throttled.replicas")));
    await(
        alter(
            broker(nodeId()),
            delete("leader.replication.throttled.rate"),
            delete("follower.replication.throttled.rate"),
            delete("replica.alter.log.dirs.io.max.bytes.per.second")));
    await(alter(broker(""), delete("leader.replication.throttled.rate"), delete("follower.replication.throttled.rate")));
    assertEquals(before.entries().size(), describe("alter-throttles").entries().size(), "nothing changed: " + describe("alter-throttles"));
    assertEquals("60000", describe("alter-throttles").get("retention.ms").value());

    failsWith(
        UnknownTopicOrPartitionException.class, "",
        alter(topic("alter-no-such-topic"), delete("leader.replication.throttled.replicas")));
  }

  @Test
  void refusesWhatSluiceCannotDo() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("alter-refused", 1, (short) 1))).all());

    failsWith(
        InvalidConfigurationException.class, "does not throttle",
        alter(topic("alter-refused"), set("leader.replication.throttled.replicas", "0:1")));
    failsWith(InvalidConfigurationException.class, "does not throttle", alter(broker(nodeId()), set("leader.replication.throttled.rate", "1000")));
    failsWith(InvalidConfigurationException.class, "static", alter(broker(nodeId()), set("log.retention.ms", "1000")));
    failsWith(InvalidConfigurationException.class, "static", alter(broker(""), set("num.partitions", "3")));
    failsWith(InvalidConfigurationException.class, "static", alter(broker(nodeId()), delete("log.retention.ms")));
    failsWith(
        InvalidRequestException.class, "APPEND",
        alter(topic("alter-refused"), new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND)));
    failsWith(InvalidConfigurationException.class, "no.such.setting", alter(topic("alter-refused"), set("no.such.setting", "1")));
    failsWith(InvalidConfigurationException.class, "cleanup.policy", alter(topic("alter-refused"), set("cleanup.policy", "compact,purge")));
    failsWith(
        InvalidRequestException.class, "",
        alter(new ConfigResource(ConfigResource.Type.BROKER_LOGGER, nodeId()), set("org.apache.kafka", "DEBUG")));

    // A resource is all or nothing; one refused resource leaves the others of the request alone.
    Map<ConfigResource, KafkaFuture<Void>> mixed =
        admin.incrementalAlterConfigs(
                Map.of(
                    topic("alter-refused"), List.of(set("retention.ms", "5000")),
                    broker(nodeId()), List.of(set("log.retention.ms", "1000"))))
            .values();
    await(mixed.get(topic("alter-refused")));
    failsWith(InvalidConfigurationException.class, "static", mixed.get(broker(nodeId())));
    failsWith(
        InvalidConfigurationException.class, "does not throttle",
        alter(topic("alter-refused"), set("retention.ms", "7000"), set("follower.replication.throttled.replicas", "*")));
    assertEquals("5000", describe("alter-refused").get("retention.ms").value(), "the refused resource changed nothing");
  }

  // ---- DescribeLogDirs through the Admin client ----------------------------------------------

  @Test
  void describeLogDirsListsThisNodesPartitionsWithTheirSizes() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("logdirs", 3, (short) 1))).all());
    Map<String, Object> config =
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(), ProducerConfig.LINGER_MS_CONFIG, 0);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>("logdirs", i % 2, null, ("record-" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
    }

    Map<Integer, Map<String, LogDirDescription>> all = await(admin.describeLogDirs(List.of(node.nodeId())).allDescriptions());
    Map<String, LogDirDescription> dirs = all.get(node.nodeId());
    assertEquals(List.of(journalDir()), new ArrayList<>(dirs.keySet()), "one log dir: the journal directory");
    LogDirDescription dir = dirs.get(journalDir());
    assertNull(dir.error());
    assertTrue(dir.totalBytes().isPresent() && dir.totalBytes().getAsLong() > 0, "total bytes of the file system: " + dir);
    assertTrue(dir.usableBytes().isPresent() && dir.usableBytes().getAsLong() >= 0, "usable bytes: " + dir);

    ReplicaInfo p0 = dir.replicaInfos().get(new TopicPartition("logdirs", 0));
    ReplicaInfo p1 = dir.replicaInfos().get(new TopicPartition("logdirs", 1));
    ReplicaInfo p2 = dir.replicaInfos().get(new TopicPartition("logdirs", 2));
    assertTrue(p0 != null && p1 != null && p2 != null, "every partition of the topic is listed: " + dir.replicaInfos());
    assertTrue(p0.size() > 0 && p1.size() > 0, "partitions written to have a size: " + p0 + " " + p1);
    assertEquals(0, p2.size(), "an empty partition");
    assertEquals(0, p0.offsetLag());
    assertFalse(p0.isFuture());

    // What kafka-reassign-partitions asks: the replicas' current log dirs.
    Map<TopicPartitionReplica, ReplicaLogDirInfo> replicas =
        await(
            admin.describeReplicaLogDirs(
                    List.of(new TopicPartitionReplica("logdirs", 1, node.nodeId()), new TopicPartitionReplica("logdirs-none", 0, node.nodeId())))
                .all());
    assertEquals(journalDir(), replicas.get(new TopicPartitionReplica("logdirs", 1, node.nodeId())).getCurrentReplicaLogDir());
    assertNull(replicas.get(new TopicPartitionReplica("logdirs", 1, node.nodeId())).getFutureReplicaLogDir());
    assertNull(
        replicas.get(new TopicPartitionReplica("logdirs-none", 0, node.nodeId())).getCurrentReplicaLogDir(),
        "a partition that does not exist has no log dir");
  }

  // ---- on the wire, every supported version --------------------------------------------------

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {0, 1})
  void incrementalAlterConfigsEveryVersion(short version) throws Exception {
    String name = "wire-alter-v" + version;
    await(admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all());
    IncrementalAlterConfigsRequestData req = new IncrementalAlterConfigsRequestData().setValidateOnly(false);
    req.resources().add(resource((byte) 2, name, op("retention.ms", (byte) 0, "120000"), op("leader.replication.throttled.replicas", (byte) 1, null)));
    req.resources().add(resource((byte) 4, nodeId(), op("follower.replication.throttled.rate", (byte) 1, null)));
    req.resources().add(resource((byte) 4, "12345", op("follower.replication.throttled.rate", (byte) 1, null)));
    req.resources().add(resource((byte) 2, "wire-alter-missing-v" + version, op("retention.ms", (byte) 1, null)));
    req.resources().add(resource((byte) 2, name + "-dup", op("retention.ms", (byte) 0, "1"), op("retention.ms", (byte) 1, null)));
    req.resources().add(resource((byte) 32, "some-group", op("x", (byte) 0, "1")));
    IncrementalAlterConfigsResponseData resp;
    try (AdminApiTest.Wire wire = new AdminApiTest.Wire(node.kafkaPort())) {
      resp = wire.send(ApiKeys.INCREMENTAL_ALTER_CONFIGS, version, req, IncrementalAlterConfigsResponseData.class);
    }
    List<IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse> results = resp.responses();
    assertEquals(6, results.size(), "one answer per resource, in order: " + resp);
    assertEquals(name, results.get(0).resourceName());
    assertEquals(Errors.NONE.code(), results.get(0).errorCode(), results.get(0).toString());
    assertEquals(Errors.NONE.code(), results.get(1).errorCode(), "throttle deletion on this broker: " + results.get(1));
    assertEquals(Errors.INVALID_REQUEST.code(), results.get(2).errorCode(), "another broker's id");
    assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), results.get(3).errorCode());
    assertEquals(Errors.INVALID_REQUEST.code(), results.get(4).errorCode(), "a key named twice");
    assertEquals(Errors.INVALID_REQUEST.code(), results.get(5).errorCode(), "unsupported resource type");
    results.subList(2, 6).forEach(r -> assertTrue(r.errorMessage() != null && !r.errorMessage().isEmpty(), "a message: " + r));
    assertEquals("120000", describe(name).get("retention.ms").value());
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {1, 2, 3, 4})
  void describeLogDirsEveryVersion(short version) throws Exception {
    String name = "wire-logdirs-v" + version;
    await(admin.createTopics(List.of(new NewTopic(name, 3, (short) 1))).all());
    DescribeLogDirsRequestData req = new DescribeLogDirsRequestData();
    DescribeLogDirsRequestData.DescribableLogDirTopicCollection topics = new DescribeLogDirsRequestData.DescribableLogDirTopicCollection();
    topics.add(new DescribeLogDirsRequestData.DescribableLogDirTopic().setTopic(name).setPartitions(List.of(0, 2, 7)));
    topics.add(new DescribeLogDirsRequestData.DescribableLogDirTopic().setTopic("wire-logdirs-missing").setPartitions(List.of(0)));
    req.setTopics(topics);
    DescribeLogDirsResponseData filtered;
    DescribeLogDirsResponseData everything;
    try (AdminApiTest.Wire wire = new AdminApiTest.Wire(node.kafkaPort())) {
      filtered = wire.send(ApiKeys.DESCRIBE_LOG_DIRS, version, req, DescribeLogDirsResponseData.class);
      everything = wire.send(ApiKeys.DESCRIBE_LOG_DIRS, version, new DescribeLogDirsRequestData().setTopics(null), DescribeLogDirsResponseData.class);
    }
    assertEquals(Errors.NONE.code(), filtered.errorCode());
    assertEquals(1, filtered.results().size(), filtered.toString());
    DescribeLogDirsResponseData.DescribeLogDirsResult dir = filtered.results().get(0);
    assertEquals(Errors.NONE.code(), dir.errorCode());
    assertEquals(journalDir(), dir.logDir());
    assertEquals(List.of(name), dir.topics().stream().map(DescribeLogDirsResponseData.DescribeLogDirsTopic::name).toList(),
        "only the topics asked for that exist");
    assertEquals(List.of(0, 2), dir.topics().get(0).partitions().stream().map(DescribeLogDirsResponseData.DescribeLogDirsPartition::partitionIndex).toList(),
        "only the partitions asked for that exist");
    if (version >= 4) {
      assertTrue(dir.totalBytes() > 0, "total bytes from v4: " + dir);
    } else {
      assertEquals(-1, dir.totalBytes(), "no total bytes before v4");
    }

    Collection<String> allTopics = everything.results().get(0).topics().stream().map(DescribeLogDirsResponseData.DescribeLogDirsTopic::name).toList();
    assertTrue(allTopics.contains(name), "a null filter lists every topic: " + allTopics);
  }

  static IncrementalAlterConfigsRequestData.AlterConfigsResource resource(
      byte type, String name, IncrementalAlterConfigsRequestData.AlterableConfig... ops) {
    IncrementalAlterConfigsRequestData.AlterConfigsResource r =
        new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType(type).setResourceName(name);
    for (IncrementalAlterConfigsRequestData.AlterableConfig op : ops) {
      r.configs().add(op);
    }
    return r;
  }

  static IncrementalAlterConfigsRequestData.AlterableConfig op(String key, byte operation, String value) {
    return new IncrementalAlterConfigsRequestData.AlterableConfig().setName(key).setConfigOperation(operation).setValue(value);
  }
}
