package dev.sluice.persistence.serialization;

/**
 * Marker for commands and replies exchanged with Sluice's entities (possibly across nodes).
 * Bound in reference.conf to Pekko's {@code jackson-cbor} serializer, which also knows how to
 * carry typed {@code ActorRef}s.
 */
public interface SluiceMessage {}
