package dev.portcullis.broker.recordings;

import dev.portcullis.recording.RecordingVerifier;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Verdicts of closed recordings, so a replay that fetches a recording range by range does not hash every chunk of it
 * for each range. An entry is keyed by the SHA-256 of the signed manifest (and signature) it was checked against, the
 * key the session is bound to and what the index expected: a new manifest, binding or expectation is a miss. The
 * entry keeps the chunk hashes that verified, so each range read still checks the chunks it reads against them, and
 * a read that finds a chunk changed forgets the entry. Only VALID verdicts are kept; everything else is checked again.
 * Bounded by the number of entries and of chunk hashes held, least recently used first out.
 */
final class VerdictCache {

    /** What a verdict depends on besides the chunks (whose hashes the entry holds). */
    record Key(String recordingId, String manifestSha256, String boundKeySha256, RecordingVerifier.Expected expected) {}

    /** A VALID check, and what replay needs to know about the recording, computed at most once per entry. */
    static final class Entry {
        final RecordingVerifier.Checked checked;
        /** Only the signed manifest was checked: chunks are checked as a ranged reader reads them. */
        final boolean ranged;

        volatile RecordingArchive.ReplayFacts facts;

        Entry(RecordingVerifier.Checked checked, boolean ranged) {
            this.checked = checked;
            this.ranged = ranged;
        }

        int weight() {
            return 1 + checked.chunkHashes().size();
        }
    }

    private final int maxEntries;
    private final long maxWeight;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long weight;

    VerdictCache(int maxEntries, long maxWeight) {
        this.maxEntries = maxEntries;
        this.maxWeight = maxWeight;
    }

    synchronized Entry get(Key key) {
        return entries.get(key);
    }

    Entry put(Key key, RecordingVerifier.Checked checked) {
        return put(key, checked, false);
    }

    synchronized Entry put(Key key, RecordingVerifier.Checked checked, boolean ranged) {
        if (checked.verification().status() != RecordingVerifier.Status.VALID) {
            throw new IllegalArgumentException("only VALID verdicts are cached");
        }
        Entry entry = new Entry(checked, ranged);
        if (entry.weight() > maxWeight) {
            return entry; // too large to keep: used for this request only
        }
        Entry old = entries.put(key, entry);
        if (old != null) {
            weight -= old.weight();
        }
        weight += entry.weight();
        Iterator<Map.Entry<Key, Entry>> eldest = entries.entrySet().iterator();
        while ((weight > maxWeight || entries.size() > maxEntries) && eldest.hasNext()) {
            weight -= eldest.next().getValue().weight();
            eldest.remove();
        }
        return entry;
    }

    /** Forgets every verdict of a recording: it failed a read or a fresh verification. */
    synchronized void forget(String recordingId) {
        Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, Entry> e = it.next();
            if (e.getKey().recordingId().equals(recordingId)) {
                weight -= e.getValue().weight();
                it.remove();
            }
        }
    }

    synchronized int size() {
        return entries.size();
    }
}
