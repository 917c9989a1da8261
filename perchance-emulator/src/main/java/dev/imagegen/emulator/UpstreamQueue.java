package dev.imagegen.emulator;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A simulated upstream queue: other users' jobs "ahead" of every key (global) or of one key, worked off at one
 * job per step from the moment they are set, as the real service works off its queue whether or not anyone
 * waits. A generate call waits until nothing is ahead of its key, and {@code getUserQueuePosition} counts the
 * jobs still ahead, so progress reporting can be seen and tested offline.
 */
final class UpstreamQueue {

    private final Map<String, Backlog> perKey = new ConcurrentHashMap<>();

    private volatile Backlog global = Backlog.NONE;

    /**
     * Sets the jobs ahead (replacing what was set before for the same scope).
     * @param patch {@code {"ahead":N,"stepMs":S,"userKey":K}}; {@code userKey} omitted = global
     * @param defaultStepMs the step used when {@code stepMs} is omitted (the generate latency)
     */
    void set(JsonNode patch, long defaultStepMs) {
        if (patch == null || !patch.isObject()) {
            throw new IllegalArgumentException("queue must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : patch.properties()) {
            if (!field.getKey().equals("ahead") && !field.getKey().equals("stepMs") && !field.getKey().equals("userKey")) {
                throw new IllegalArgumentException("unknown queue field: " + field.getKey());
            }
        }
        JsonNode ahead = patch.get("ahead");
        if (ahead == null || !ahead.isIntegralNumber() || !ahead.canConvertToInt() || ahead.intValue() < 0
                || ahead.intValue() > 10_000) {
            throw new IllegalArgumentException("ahead must be an integer in 0..10000");
        }
        JsonNode step = patch.get("stepMs");
        long stepMs = defaultStepMs;
        if (step != null) {
            if (!step.isIntegralNumber() || !step.canConvertToLong() || step.longValue() < 1
                    || step.longValue() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("stepMs must be a positive integer");
            }
            stepMs = step.longValue();
        }
        if (stepMs < 1) {
            throw new IllegalArgumentException("stepMs is required while generateLatencyMs is 0");
        }
        JsonNode key = patch.get("userKey");
        if (key != null && (!key.isString() || key.stringValue().isEmpty())) {
            throw new IllegalArgumentException("userKey must be a non-empty string");
        }
        Backlog backlog = new Backlog(ahead.intValue(), stepMs * 1_000_000L, System.nanoTime());
        if (key == null) {
            this.global = backlog;
        }
        else {
            this.perKey.put(key.stringValue(), backlog);
        }
    }

    /** Jobs ahead of a request of this key now (global and the key's own). */
    int ahead(String key) {
        long now = System.nanoTime();
        Backlog own = (key != null) ? this.perKey.get(key) : null;
        return this.global.remaining(now) + ((own != null) ? own.remaining(now) : 0);
    }

    /** Milliseconds until nothing is ahead of this key (0 when nothing is). */
    long millisUntilClear(String key) {
        long now = System.nanoTime();
        Backlog own = (key != null) ? this.perKey.get(key) : null;
        long nanos = Math.max(this.global.nanosUntilClear(now), (own != null) ? own.nanosUntilClear(now) : 0);
        return (nanos + 999_999) / 1_000_000;
    }

    void reset() {
        this.global = Backlog.NONE;
        this.perKey.clear();
    }

    ObjectNode toJson() {
        long now = System.nanoTime();
        ObjectNode keys = Json.object();
        new TreeMap<>(this.perKey).forEach((key, backlog) -> keys.put(key, backlog.remaining(now)));
        ObjectNode json = Json.object().put("ahead", this.global.remaining(now));
        json.set("keys", keys);
        return json;
    }

    /** {@code ahead} jobs set at {@code setAt}, one of them done every {@code step}. */
    private record Backlog(int ahead, long stepNanos, long setAtNanos) {

        static final Backlog NONE = new Backlog(0, 1, 0);

        int remaining(long now) {
            long done = (now - this.setAtNanos) / this.stepNanos;
            return (int) Math.max(0, this.ahead - done);
        }

        long nanosUntilClear(long now) {
            return Math.max(0, this.setAtNanos + this.ahead * this.stepNanos - now);
        }

    }
}
