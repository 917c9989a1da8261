package dev.imagegen.emulator;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every request to an emulated endpoint, in arrival order, for tests to assert on (one in flight per
 * key, a fresh requestId per POST, no retry storm). An entry is recorded when the request arrives and
 * completed when it is answered, so a held generate call is already visible while it waits.
 */
final class RequestLog {

    /** Bounds memory in long standalone runs; tests never come near it. */
    private static final int MAX_ENTRIES = 10_000;

    private final Deque<Entry> entries = new ArrayDeque<>();

    private long seq;

    synchronized Entry begin(Request request, boolean inFlightForSameKey) {
        Entry e = new Entry(++seq, Instant.now(), request.method(), request.path(), new LinkedHashMap<>(request.query()),
                request.body(), request.param("userKey"), request.param("requestId"), inFlightForSameKey);
        entries.addLast(e);
        if (entries.size() > MAX_ENTRIES) {
            entries.removeFirst();
        }
        return e;
    }

    synchronized void complete(Entry entry, Integer httpStatus, String outcome, String userKey) {
        entry.durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - entry.startNanos);
        entry.httpStatus = httpStatus;
        entry.outcome = outcome;
        if (entry.userKey == null) {
            entry.userKey = userKey;
        }
    }

    synchronized ObjectNode toJson() {
        ObjectNode root = Json.object();
        ArrayNode list = root.putArray("entries");
        for (Entry e : entries) {
            ObjectNode n = list.addObject();
            n.put("seq", e.seq);
            n.put("time", e.time.toString());
            n.put("method", e.method);
            n.put("path", e.path);
            ObjectNode q = n.putObject("query");
            e.query.forEach(q::put);
            n.put("body", e.body);
            n.put("userKey", e.userKey);
            n.put("requestId", e.requestId);
            n.put("inFlightForSameKey", e.inFlightForSameKey);
            if (e.httpStatus == null) {
                n.putNull("httpStatus");
            }
            else {
                n.put("httpStatus", e.httpStatus.intValue());
            }
            n.put("outcome", e.outcome);
            if (e.durationMs == null) {
                n.putNull("durationMs");
            }
            else {
                n.put("durationMs", e.durationMs.longValue());
            }
        }
        return root;
    }

    synchronized void clear() {
        entries.clear();
        seq = 0;
    }

    /** One logged request; mutable only under the log's lock. */
    static final class Entry {

        final long seq;

        final Instant time;

        final String method;

        final String path;

        final Map<String, String> query;

        final String body;

        String userKey;

        final String requestId;

        final boolean inFlightForSameKey;

        Integer httpStatus;

        String outcome = "pending";

        /** From arrival to the answer being ready (its configured latency and its rendering included). */
        private final long startNanos = System.nanoTime();

        Long durationMs;

        Entry(long seq, Instant time, String method, String path, Map<String, String> query, String body,
                String userKey, String requestId, boolean inFlightForSameKey) {
            this.seq = seq;
            this.time = time;
            this.method = method;
            this.path = path;
            this.query = query;
            this.body = body;
            this.userKey = userKey;
            this.requestId = requestId;
            this.inFlightForSameKey = inFlightForSameKey;
        }
    }
}
