package dev.sluice.persistence.serialization;

/**
 * Marker for small persisted events and snapshots. Bound in reference.conf to
 * {@link VersionedCborSerializer} (id 7302): Jackson CBOR behind a format-version byte.
 * Implementations are Java records; adding a field never breaks reading older data (unknown
 * fields are ignored, missing ones take their Java default).
 */
public interface CborPersisted {}
