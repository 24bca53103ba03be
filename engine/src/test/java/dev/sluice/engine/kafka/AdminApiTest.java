package dev.sluice.engine.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.DeletedRecords;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin APIs (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs,
 * DescribeCluster, DeleteRecords) against one Sluice node: through a stock {@link Admin} client, and on the
 * wire at every supported version of each API. Tests share the node and use their own topic
 * names.
 */
class AdminApiTest {
  private static final long WAIT_SECONDS = 30;

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

  static <T> T await(KafkaFuture<T> future) throws Exception {
    return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The future fails with {@code type} (the Kafka exception for the error code answered). */
  static <T extends Throwable> T failsWith(Class<T> type, KafkaFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(future), "expected " + type.getSimpleName());
    return assertInstanceOf(type, e.getCause(), "cause of the failure");
  }

  static int partitionCount(String topic) throws Exception {
    return await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
  }

  static Set<String> topicNames() throws Exception {
    return await(admin.listTopics().names());
  }

  // ---- through the Admin client --------------------------------------------------------------

  @Test
  void createsTopicsWithSettingsAndReportsThem() throws Exception {
    NewTopic topic = new NewTopic("admin-created", 3, (short) 1).configs(Map.of("retention.ms", "3600000", "segment.bytes", "1048576"));
    NewTopic defaults = new NewTopic("admin-defaults", java.util.Optional.empty(), java.util.Optional.empty());
    CreateTopicsResult result = admin.createTopics(List.of(topic, defaults));
    await(result.all());

    assertEquals(3, await(result.numPartitions("admin-created")));
    assertEquals(1, await(result.replicationFactor("admin-created")));
    assertNotEquals(Uuid.ZERO_UUID, await(result.topicId("admin-created")), "CreateTopics v7 answers the topic id");
    Config created = await(result.config("admin-created"));
    assertEquals("3600000", created.get("retention.ms").value());
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, created.get("retention.ms").source(), "set on creation");
    assertEquals("1048576", created.get("segment.bytes").value(), "accepted-but-unenforced settings are kept");
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, created.get("retention.bytes").source());
    assertEquals(1, await(result.numPartitions("admin-defaults")), "numPartitions -1 takes sluice.kafka.num-partitions");

    TopicDescription description = await(admin.describeTopics(List.of("admin-created")).allTopicNames()).get("admin-created");
    assertEquals(3, description.partitions().size());
    assertEquals(await(result.topicId("admin-created")), description.topicId(), "the same id in Metadata");
    assertTrue(topicNames().containsAll(Set.of("admin-created", "admin-defaults")), "listed: " + topicNames());
  }

  @Test
  void validateOnlyCreatesNothing() throws Exception {
    CreateTopicsResult result =
        admin.createTopics(
            List.of(new NewTopic("admin-validate-only", 4, (short) 1).configs(Map.of("retention.ms", "1000"))),
            new CreateTopicsOptions().validateOnly(true));
    await(result.all());
    assertEquals(4, await(result.numPartitions("admin-validate-only")), "the partition count it would have");
    assertEquals("1000", await(result.config("admin-validate-only")).get("retention.ms").value());
    assertFalse(topicNames().contains("admin-validate-only"), "validate_only must not create the topic");

    failsWith(
        InvalidConfigurationException.class,
        admin.createTopics(
                List.of(new NewTopic("admin-validate-bad", 1, (short) 1).configs(Map.of("retention.ms", "soon"))),
                new CreateTopicsOptions().validateOnly(true))
            .all());
    await(admin.createTopics(List.of(new NewTopic("admin-validate-existing", 1, (short) 1))).all());
    failsWith(
        TopicExistsException.class,
        admin.createTopics(List.of(new NewTopic("admin-validate-existing", 1, (short) 1)), new CreateTopicsOptions().validateOnly(true))
            .all());
  }

  @Test
  void refusesWhatKafkaRefuses() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("admin-twice", 1, (short) 1))).all());
    failsWith(TopicExistsException.class, admin.createTopics(List.of(new NewTopic("admin-twice", 2, (short) 1))).all());

    for (String bad : List.of("bad/name", "..", "x".repeat(250), "spaced name")) {
      failsWith(InvalidTopicException.class, admin.createTopics(List.of(new NewTopic(bad, 1, (short) 1))).all());
    }
    failsWith(InvalidReplicationFactorException.class, admin.createTopics(List.of(new NewTopic("admin-rf3", 1, (short) 3))).all());
    failsWith(InvalidPartitionsException.class, admin.createTopics(List.of(new NewTopic("admin-zero", 0, (short) 1))).all());
    failsWith(
        InvalidRequestException.class,
        admin.createTopics(List.of(new NewTopic("admin-assigned", Map.of(0, List.of(node.nodeId()))))).all());
    failsWith(
        InvalidConfigurationException.class,
        admin.createTopics(List.of(new NewTopic("admin-bad-config", 1, (short) 1).configs(Map.of("retention.ms", "-7")))).all());
    failsWith(
        InvalidConfigurationException.class,
        admin.createTopics(List.of(new NewTopic("admin-unknown-config", 1, (short) 1).configs(Map.of("no.such.setting", "1")))).all());

    // One refused topic does not fail the others of the request.
    CreateTopicsResult mixed =
        admin.createTopics(List.of(new NewTopic("admin-mixed-ok", 1, (short) 1), new NewTopic("admin-mixed-rf", 1, (short) 2)));
    await(mixed.values().get("admin-mixed-ok"));
    failsWith(InvalidReplicationFactorException.class, mixed.values().get("admin-mixed-rf"));
    Set<String> names = topicNames();
    assertTrue(names.contains("admin-mixed-ok"));
    for (String refused : List.of("admin-rf3", "admin-zero", "admin-assigned", "admin-bad-config", "admin-unknown-config", "admin-mixed-rf")) {
      assertFalse(names.contains(refused), refused + " must not exist");
    }
  }

  @Test
  void growsPartitionsButNeverShrinks() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("admin-grow", 2, (short) 1))).all());

    await(admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(5)), new CreatePartitionsOptions().validateOnly(true)).all());
    assertEquals(2, partitionCount("admin-grow"), "validate_only must not grow the topic");

    await(admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(4))).all());
    assertEquals(4, partitionCount("admin-grow"));

    failsWith(InvalidPartitionsException.class, admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(2))).all());
    failsWith(InvalidPartitionsException.class, admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(4))).all());
    failsWith(
        InvalidPartitionsException.class,
        admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(3)), new CreatePartitionsOptions().validateOnly(true)).all());
    failsWith(
        UnknownTopicOrPartitionException.class,
        admin.createPartitions(Map.of("admin-no-such-topic", NewPartitions.increaseTo(3))).all());
    failsWith(
        InvalidRequestException.class,
        admin.createPartitions(Map.of("admin-grow", NewPartitions.increaseTo(5, List.of(List.of(node.nodeId()))))).all());
    assertEquals(4, partitionCount("admin-grow"));
  }

  @Test
  void deletesByNameAndById() throws Exception {
    CreateTopicsResult created =
        admin.createTopics(List.of(new NewTopic("admin-delete-by-name", 2, (short) 1), new NewTopic("admin-delete-by-id", 1, (short) 1)));
    await(created.all());

    await(admin.deleteTopics(List.of("admin-delete-by-name")).all());
    failsWith(UnknownTopicOrPartitionException.class, admin.describeTopics(List.of("admin-delete-by-name")).allTopicNames());

    Uuid id = await(created.topicId("admin-delete-by-id"));
    await(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all());
    assertFalse(topicNames().contains("admin-delete-by-id"));

    failsWith(UnknownTopicOrPartitionException.class, admin.deleteTopics(List.of("admin-delete-by-name")).all());
    failsWith(UnknownTopicIdException.class, admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all());

    // The name can be used again, for a new topic with a new id.
    CreateTopicsResult again = admin.createTopics(List.of(new NewTopic("admin-delete-by-name", 1, (short) 1)));
    await(again.all());
    assertEquals(1, partitionCount("admin-delete-by-name"));
  }

  /** Sends {@code n} records to partition 0 of {@code topic}, one batch each. */
  static void produce(String topic, int n) throws Exception {
    Map<String, Object> config =
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(), ProducerConfig.LINGER_MS_CONFIG, 0);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get(WAIT_SECONDS, TimeUnit.SECONDS);
      }
    }
  }

  static long earliest(TopicPartition tp) throws Exception {
    return await(admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp)).offset();
  }

  @Test
  void deletesRecordsBelowAnOffset() throws Exception {
    String name = "admin-delete-records";
    await(admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all());
    produce(name, 10);
    TopicPartition tp = new TopicPartition(name, 0);

    DeletedRecords deleted = await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp));
    assertEquals(4, deleted.lowWatermark());
    assertEquals(4, earliest(tp), "ListOffsets earliest is the new log start");

    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, 0); // below the log start: out of range, reset to the earliest offset
      List<Long> offsets = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (offsets.size() < 6 && System.nanoTime() < deadline) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(r -> offsets.add(r.offset()));
      }
      assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L), offsets, "a consumer reads from the new start on");
    }

    failsWith(OffsetOutOfRangeException.class, admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(11))).all());
    // (an unknown topic: the Admin client looks for its leader until its timeout, as against Kafka;
    // the wire test below checks the answer itself)
    assertEquals(4, earliest(tp), "refused deletions change nothing");

    assertEquals(10, await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(10))).lowWatermarks().get(tp)).lowWatermark());
    assertEquals(10, earliest(tp), "everything deleted: the log starts at the high watermark");
  }

  @Test
  void describesTopicConfigs() throws Exception {
    await(admin.createTopics(List.of(new NewTopic("admin-configs", 1, (short) 1).configs(Map.of("retention.ms", "60000")))).all());
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "admin-configs");
    Config config = await(admin.describeConfigs(List.of(resource)).all()).get(resource);

    ConfigEntry retention = config.get("retention.ms");
    assertEquals("60000", retention.value());
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, retention.source());
    assertFalse(retention.isDefault());
    assertFalse(retention.isReadOnly());
    assertFalse(retention.isSensitive());
    assertEquals(ConfigEntry.ConfigType.LONG, retention.type());

    ConfigEntry maxBytes = config.get("max.message.bytes");
    assertEquals("1048588", maxBytes.value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, maxBytes.source());
    assertTrue(maxBytes.isDefault());
    assertEquals(ConfigEntry.ConfigType.INT, maxBytes.type());
    assertEquals("delete", config.get("cleanup.policy").value());

    failsWith(
        UnknownTopicOrPartitionException.class,
        admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "admin-no-such-topic"))).all());
    failsWith(
        InvalidTopicException.class,
        admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "bad/name"))).all());
  }

  @Test
  void describesBrokerConfigs() throws Exception {
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node.nodeId()));
    Config config = await(admin.describeConfigs(List.of(broker)).all()).get(broker);
    assertEquals(Integer.toString(node.nodeId()), config.get("broker.id").value());
    assertEquals("1", config.get("num.partitions").value());
    assertEquals("true", config.get("auto.create.topics.enable").value());
    assertEquals(Long.toString(7L * 24 * 3600 * 1000), config.get("log.retention.ms").value());
    assertTrue(config.entries().stream().allMatch(ConfigEntry::isReadOnly), "broker settings are read-only: " + config);
    // (Another broker id is covered on the wire: the Admin client cannot route to a broker that does not exist.)
  }

  @Test
  void describesTheOneNodeCluster() throws Exception {
    DescribeClusterResult cluster = admin.describeCluster();
    Collection<Node> nodes = await(cluster.nodes());
    assertEquals(1, nodes.size(), "one broker: " + nodes);
    Node self = nodes.iterator().next();
    assertEquals(node.nodeId(), self.id());
    assertEquals("127.0.0.1", self.host());
    assertEquals(node.kafkaPort(), self.port());
    assertEquals(node.nodeId(), await(cluster.controller()).id());

    String clusterId = await(cluster.clusterId());
    assertNotNull(clusterId);
    try (Wire wire = new Wire(node.kafkaPort())) {
      MetadataResponseData metadata =
          wire.send(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of()), MetadataResponseData.class);
      assertEquals(metadata.clusterId(), clusterId, "DescribeCluster and Metadata name the same cluster");
    }
  }

  // ---- on the wire, every supported version --------------------------------------------------

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {2, 3, 4, 5, 6, 7})
  void createTopicsEveryVersion(short version) throws Exception {
    String name = "wire-create-v" + version;
    CreateTopicsRequestData req = new CreateTopicsRequestData().setTimeoutMs(30_000);
    req.topics().add(creatable(name, 2, (short) 1, Map.of("retention.ms", "120000")));
    req.topics().add(creatable("wire-dup-v" + version, 1, (short) 1, Map.of()));
    req.topics().add(creatable("wire-dup-v" + version, 1, (short) 1, Map.of()));
    req.topics().add(creatable("wire-rf-v" + version, 1, (short) 3, Map.of()));
    CreateTopicsResponseData resp;
    try (Wire wire = new Wire(node.kafkaPort())) {
      resp = wire.send(ApiKeys.CREATE_TOPICS, version, req, CreateTopicsResponseData.class);
    }
    assertEquals(3, resp.topics().size(), "one result per distinct name: " + resp);

    CreateTopicsResponseData.CreatableTopicResult ok = resp.topics().find(name);
    assertEquals(Errors.NONE.code(), ok.errorCode(), "created: " + ok);
    if (version >= 5) {
      assertEquals(2, ok.numPartitions());
      assertEquals(1, ok.replicationFactor());
      Map<String, CreateTopicsResponseData.CreatableTopicConfigs> configs =
          ok.configs().stream().collect(Collectors.toMap(CreateTopicsResponseData.CreatableTopicConfigs::name, c -> c));
      assertEquals("120000", configs.get("retention.ms").value());
      assertEquals(ConfigSource.TOPIC_CONFIG.id(), configs.get("retention.ms").configSource());
      assertEquals(ConfigSource.DEFAULT_CONFIG.id(), configs.get("retention.bytes").configSource());
    } else {
      assertEquals(-1, ok.numPartitions(), "no partition count before v5");
    }
    assertEquals(version >= 7, !Uuid.ZERO_UUID.equals(ok.topicId()), "topic id from v7 only");

    CreateTopicsResponseData.CreatableTopicResult dup = resp.topics().find("wire-dup-v" + version);
    assertEquals(Errors.INVALID_REQUEST.code(), dup.errorCode(), "a name given twice: " + dup);
    CreateTopicsResponseData.CreatableTopicResult rf = resp.topics().find("wire-rf-v" + version);
    assertEquals(Errors.INVALID_REPLICATION_FACTOR.code(), rf.errorCode());
    assertNotNull(rf.errorMessage());
    if (version >= 5) {
      assertEquals(-1, rf.numPartitions());
      assertEquals(-1, rf.replicationFactor());
    }
    assertEquals(2, partitionCount(name));
    assertFalse(topicNames().contains("wire-dup-v" + version), "duplicated names are not created");
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {1, 2, 3, 4, 5, 6})
  void deleteTopicsEveryVersion(short version) throws Exception {
    String name = "wire-delete-v" + version;
    Uuid id = await(admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).topicId(name));
    DeleteTopicsRequestData req = new DeleteTopicsRequestData().setTimeoutMs(30_000);
    if (version >= 6) {
      req.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setTopicId(id));
      req.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName("wire-missing"));
      req.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setTopicId(Uuid.randomUuid()));
    } else {
      req.setTopicNames(List.of(name, "wire-missing"));
    }
    DeleteTopicsResponseData resp;
    try (Wire wire = new Wire(node.kafkaPort())) {
      resp = wire.send(ApiKeys.DELETE_TOPICS, version, req, DeleteTopicsResponseData.class);
    }
    List<DeleteTopicsResponseData.DeletableTopicResult> results = List.copyOf(resp.responses());
    assertEquals(version >= 6 ? 3 : 2, results.size(), "one result per topic: " + resp);
    assertEquals(name, results.get(0).name(), "the name, also for a topic named by id");
    assertEquals(Errors.NONE.code(), results.get(0).errorCode());
    assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), results.get(1).errorCode());
    if (version >= 5) {
      assertNotNull(results.get(1).errorMessage(), "messages from v5");
    }
    if (version >= 6) {
      assertEquals(id, results.get(0).topicId());
      assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), results.get(2).errorCode());
    }
    assertFalse(topicNames().contains(name));
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {0, 1, 2, 3})
  void createPartitionsEveryVersion(short version) throws Exception {
    String name = "wire-partitions-v" + version;
    await(admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all());
    try (Wire wire = new Wire(node.kafkaPort())) {
      CreatePartitionsResponseData check =
          wire.send(ApiKeys.CREATE_PARTITIONS, version, createPartitions(name, 3, true), CreatePartitionsResponseData.class);
      assertEquals(Errors.NONE.code(), check.results().get(0).errorCode(), "validate_only: " + check);
      assertEquals(1, partitionCount(name));

      CreatePartitionsRequestData grow = createPartitions(name, 3, false);
      grow.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("wire-missing").setCount(2).setAssignments(null));
      CreatePartitionsResponseData grown = wire.send(ApiKeys.CREATE_PARTITIONS, version, grow, CreatePartitionsResponseData.class);
      assertEquals(Errors.NONE.code(), grown.results().get(0).errorCode(), "grow: " + grown);
      assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), grown.results().get(1).errorCode());
      assertEquals(3, partitionCount(name));

      CreatePartitionsResponseData shrink =
          wire.send(ApiKeys.CREATE_PARTITIONS, version, createPartitions(name, 2, true), CreatePartitionsResponseData.class);
      assertEquals(Errors.INVALID_PARTITIONS.code(), shrink.results().get(0).errorCode());
      assertTrue(shrink.results().get(0).errorMessage().contains("higher than the requested 2"), shrink.toString());
    }
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {0, 1, 2})
  void deleteRecordsEveryVersion(short version) throws Exception {
    String name = "wire-delete-records-v" + version;
    await(admin.createTopics(List.of(new NewTopic(name, 2, (short) 1))).all());
    produce(name, 5);
    DeleteRecordsRequestData req = new DeleteRecordsRequestData().setTimeoutMs(30_000);
    DeleteRecordsRequestData.DeleteRecordsTopic topic = new DeleteRecordsRequestData.DeleteRecordsTopic().setName(name);
    topic.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(-1));
    topic.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(1)); // again
    topic.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(1).setOffset(1));
    topic.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(7).setOffset(0));
    req.topics().add(topic);
    try (Wire wire = new Wire(node.kafkaPort())) {
      DeleteRecordsResponseData resp = wire.send(ApiKeys.DELETE_RECORDS, version, req, DeleteRecordsResponseData.class);
      assertEquals(1, resp.topics().size(), resp.toString());
      DeleteRecordsResponseData.DeleteRecordsTopicResult result = resp.topics().find(name);
      assertEquals(3, result.partitions().size(), "a partition named twice is answered once: " + resp);
      assertEquals(Errors.NONE.code(), result.partitions().find(0).errorCode(), resp.toString());
      assertEquals(5, result.partitions().find(0).lowWatermark(), "-1 deletes up to the high watermark");
      assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), result.partitions().find(1).errorCode(), "partition 1 is empty: " + resp);
      assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), result.partitions().find(7).errorCode(), resp.toString());
    }
    assertEquals(5, earliest(new TopicPartition(name, 0)));
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {1, 2, 3, 4})
  void describeConfigsEveryVersion(short version) throws Exception {
    String name = "wire-configs-v" + version;
    await(admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(Map.of("retention.ms", "5000")))).all());
    DescribeConfigsRequestData req = new DescribeConfigsRequestData().setIncludeSynonyms(true);
    req.resources()
        .add(
            new DescribeConfigsRequestData.DescribeConfigsResource()
                .setResourceType((byte) 2)
                .setResourceName(name)
                .setConfigurationKeys(List.of("retention.ms", "retention.bytes")));
    req.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 4).setResourceName("").setConfigurationKeys(null));
    req.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 4).setResourceName("12345").setConfigurationKeys(null));
    req.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 32).setResourceName("g").setConfigurationKeys(null));
    DescribeConfigsResponseData resp;
    try (Wire wire = new Wire(node.kafkaPort())) {
      resp = wire.send(ApiKeys.DESCRIBE_CONFIGS, version, req, DescribeConfigsResponseData.class);
    }
    assertEquals(4, resp.results().size());

    DescribeConfigsResponseData.DescribeConfigsResult topic = resp.results().get(0);
    assertEquals(Errors.NONE.code(), topic.errorCode(), topic.toString());
    assertEquals(List.of("retention.bytes", "retention.ms"), topic.configs().stream().map(c -> c.name()).toList(), "only the keys asked for");
    DescribeConfigsResponseData.DescribeConfigsResourceResult retention = topic.configs().get(1);
    assertEquals("5000", retention.value());
    assertEquals(ConfigSource.TOPIC_CONFIG.id(), retention.configSource());
    assertEquals(version >= 3 ? ConfigType.LONG.id() : 0, retention.configType(), "config types from v3");
    assertEquals(1, retention.synonyms().size(), "asked for synonyms");
    assertEquals(ConfigSource.DEFAULT_CONFIG.id(), topic.configs().get(0).configSource());

    assertEquals(Errors.NONE.code(), resp.results().get(1).errorCode(), "an empty broker name is this broker");
    assertTrue(resp.results().get(1).configs().stream().anyMatch(c -> c.name().equals("broker.id")));
    assertEquals(Errors.INVALID_REQUEST.code(), resp.results().get(2).errorCode(), "another broker");
    assertEquals(Errors.INVALID_REQUEST.code(), resp.results().get(3).errorCode(), "unsupported resource type");
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(shorts = {0, 1, 2})
  void describeClusterEveryVersion(short version) throws Exception {
    try (Wire wire = new Wire(node.kafkaPort())) {
      DescribeClusterResponseData resp =
          wire.send(
              ApiKeys.DESCRIBE_CLUSTER, version, new DescribeClusterRequestData().setIncludeClusterAuthorizedOperations(false),
              DescribeClusterResponseData.class);
      assertEquals(Errors.NONE.code(), resp.errorCode(), resp.toString());
      assertEquals(node.nodeId(), resp.controllerId());
      assertEquals(1, resp.brokers().size());
      DescribeClusterResponseData.DescribeClusterBroker broker = resp.brokers().iterator().next();
      assertEquals(node.nodeId(), broker.brokerId());
      assertEquals(node.kafkaPort(), broker.port());
      assertEquals(Integer.MIN_VALUE, resp.clusterAuthorizedOperations(), "not asked for");
      assertEquals((byte) 1, resp.endpointType());

      if (version >= 1) {
        DescribeClusterResponseData controllers =
            wire.send(ApiKeys.DESCRIBE_CLUSTER, version, new DescribeClusterRequestData().setEndpointType((byte) 2), DescribeClusterResponseData.class);
        assertEquals(Errors.MISMATCHED_ENDPOINT_TYPE.code(), controllers.errorCode(), "this is a broker endpoint");
        DescribeClusterResponseData unknown =
            wire.send(ApiKeys.DESCRIBE_CLUSTER, version, new DescribeClusterRequestData().setEndpointType((byte) 9), DescribeClusterResponseData.class);
        assertEquals(Errors.UNSUPPORTED_ENDPOINT_TYPE.code(), unknown.errorCode());
      }
    }
  }

  static CreateTopicsRequestData.CreatableTopic creatable(String name, int partitions, short rf, Map<String, String> configs) {
    CreateTopicsRequestData.CreatableTopic topic =
        new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(partitions).setReplicationFactor(rf);
    configs.forEach((k, v) -> topic.configs().add(new CreateTopicsRequestData.CreatableTopicConfig().setName(k).setValue(v)));
    return topic;
  }

  static CreatePartitionsRequestData createPartitions(String name, int count, boolean validateOnly) {
    CreatePartitionsRequestData req = new CreatePartitionsRequestData().setTimeoutMs(30_000).setValidateOnly(validateOnly);
    req.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName(name).setCount(count).setAssignments(null));
    return req;
  }

  /** A bare Kafka-protocol connection: one request at a chosen version, its response decoded. */
  static final class Wire implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlationId;

    Wire(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
    }

    <T extends ApiMessage> T send(ApiKeys api, short version, ApiMessage body, Class<T> responseType) throws IOException {
      RequestHeader header = new RequestHeader(api, version, "admin-api-test", ++correlationId);
      ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
      out.writeInt(request.remaining());
      out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
      out.flush();
      byte[] response = new byte[in.readInt()];
      in.readFully(response);
      return responseType.cast(AbstractResponse.parseResponse(ByteBuffer.wrap(response), header).data());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
