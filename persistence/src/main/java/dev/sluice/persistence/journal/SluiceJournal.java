package dev.sluice.persistence.journal;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import dev.sluice.persistence.partition.BatchAppended;
import dev.sluice.persistence.serialization.BatchAppendedSerializer;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.dispatch.Futures;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Sluice's journal plugin: Pekko Persistence's {@code AsyncWriteJournal} on a native LevelDB
 * {@link LevelDbLog} with group commit across every entity of the node.
 *
 * <p>Pekko's stock LevelDB journal writes each entity's batch with its own LevelDB write (and
 * its own fsync when {@code fsync = on}) from a single journal actor. This plugin serialises in
 * the journal actor and hands the bytes to the log's writer thread, which commits everything
 * that is waiting in one write: the partitions of a node share writes and flushes.
 *
 * <p>Configured under {@code sluice.persistence.journal} (see reference.conf): {@code dir},
 * {@code fsync}, LevelDB tuning.
 */
public final class SluiceJournal extends AsyncWriteJournal {
  private final String pluginId;
  private final LevelDbLog log;
  private final Serialization serialization;

  public SluiceJournal(Config config, String configPath) throws java.io.IOException {
    this.pluginId = configPath;
    LevelDbLog.Settings settings =
        new LevelDbLog.Settings(
            FsyncPolicy.parse(config.getString("fsync")),
            (int) config.getBytes("leveldb.write-buffer-size").longValue(),
            config.getBytes("leveldb.cache-size"),
            config.getBoolean("leveldb.compression"),
            (int) config.getBytes("max-group-commit-size").longValue(),
            config.getInt("leveldb.max-open-files"));
    this.log = LevelDbLog.open(Path.of(config.getString("dir")), settings);
    this.serialization = SerializationExtension.get(context().system());
    JournalStores.get(context().system()).register(pluginId, log);
  }

  @Override
  public void postStop() throws Exception {
    JournalStores.get(context().system()).unregister(pluginId, log);
    log.close();
    super.postStop();
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<CompletableFuture<Optional<Exception>>> results = new ArrayList<>();
    for (AtomicWrite write : messages) {
      List<LevelDbLog.Entry> entries = new ArrayList<>();
      Exception rejected = null;
      for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
        try {
          entries.add(
              new LevelDbLog.Entry(repr.persistenceId(), repr.sequenceNr(), encode(repr)));
        } catch (Exception e) {
          rejected = e; // serialization failure: reject this write only, the entity keeps running
          break;
        }
      }
      if (rejected != null) {
        results.add(CompletableFuture.completedFuture(Optional.of(rejected)));
      } else {
        results.add(log.write(entries).thenApply(v -> Optional.empty()));
      }
    }
    CompletionStage<Iterable<Optional<Exception>>> all =
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
            .thenApply(
                v -> {
                  List<Optional<Exception>> out = new ArrayList<>(results.size());
                  for (CompletableFuture<Optional<Exception>> r : results) {
                    out.add(r.join());
                  }
                  return out;
                });
    return FutureConverters.asScala(all);
  }

  private byte[] encode(PersistentRepr repr) {
    Object payload = repr.payload();
    if (payload instanceof Tagged tagged) {
      payload = tagged.payload(); // tags are not indexed by this journal
    }
    Serializer serializer = serialization.findSerializerFor(payload);
    String manifest = Serializers.manifestFor(serializer, payload);
    if (payload instanceof BatchAppended batch && serializer instanceof BatchAppendedSerializer) {
      // the bulk: written straight into the entry, one copy of the batch
      return JournalEntryCodec.encode(
          serializer.identifier(), manifest, repr.writerUuid(), repr.timestamp(),
          BatchAppendedSerializer.sizeOf(batch), buf -> BatchAppendedSerializer.write(batch, buf));
    }
    return JournalEntryCodec.encode(
        serializer.identifier(), manifest, repr.writerUuid(), repr.timestamp(), serializer.toBinary(payload));
  }

  /** Decodes a stored value back into the event object, with the serializer it names. */
  static Object decodePayload(Serialization serialization, JournalEntryCodec.Decoded d) {
    return serialization.deserialize(d.payloadBytes(), d.serializerId(), d.manifest()).get();
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(log.deleteUpTo(persistenceId, toSequenceNr).thenApply(n -> null));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId, long fromSequenceNr, long toSequenceNr, long max, Consumer<PersistentRepr> callback) {
    // Replays run on the journal actor's dispatcher thread, as Pekko's own LevelDB journal does.
    try {
      long remaining = max;
      long from = fromSequenceNr;
      while (remaining > 0 && from <= toSequenceNr) {
        List<LevelDbLog.StoredEntry> chunk =
            log.read(persistenceId, from, toSequenceNr, Math.min(remaining, 1024), 64L << 20);
        if (chunk.isEmpty()) {
          break;
        }
        for (LevelDbLog.StoredEntry e : chunk) {
          JournalEntryCodec.Decoded d = JournalEntryCodec.decode(e.value());
          Object payload = decodePayload(serialization, d);
          PersistentRepr repr =
              PersistentRepr.apply(payload, e.sequenceNr(), persistenceId, d.manifest(), false, null, d.writerUuid())
                  .withTimestamp(d.timestamp());
          callback.accept(repr);
        }
        remaining -= chunk.size();
        from = chunk.get(chunk.size() - 1).sequenceNr() + 1;
      }
      return Futures.successful(null);
    } catch (Exception e) {
      return Futures.failed(e);
    }
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    try {
      return Futures.successful(log.highestSequenceNr(persistenceId));
    } catch (Exception e) {
      return Futures.failed(e);
    }
  }
}
