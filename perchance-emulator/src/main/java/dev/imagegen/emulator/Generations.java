package dev.imagegen.emulator;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Generations in flight (one per key, as upstream enforces) and the rolling-minute rate limit. */
final class Generations {

    private static final long MINUTE_NANOS = 60_000_000_000L;

    private final Map<String, InFlight> byKey = new ConcurrentHashMap<>();

    private final AtomicLong order = new AtomicLong();

    private final Deque<Long> recentCalls = new ArrayDeque<>();

    /** Claims the key's single slot; {@code null} when another generation holds it. */
    InFlight tryClaim(String key, String requestId) {
        InFlight claim = new InFlight(key, requestId, order.incrementAndGet(), new CompletableFuture<>());
        return byKey.putIfAbsent(key, claim) == null ? claim : null;
    }

    void release(InFlight claim) {
        byKey.remove(claim.key(), claim);
        claim.done().complete(null);
    }

    boolean inFlight(String key) {
        return key != null && byKey.containsKey(key);
    }

    /** Completes when the key's current generation ends; already complete when none is in flight. */
    CompletableFuture<Void> current(String key) {
        InFlight f = byKey.get(key);
        return f == null ? CompletableFuture.completedFuture(null) : f.done();
    }

    /** 1-based position of the request among everything in flight, or 0 when it is not in flight. */
    int[] position(String key, String requestId) {
        InFlight mine = byKey.get(key);
        if (mine == null || !mine.requestId().equals(requestId)) {
            return new int[] { 0, byKey.size() };
        }
        List<InFlight> all = byKey.values().stream().sorted(Comparator.comparingLong(InFlight::order)).toList();
        return new int[] { all.indexOf(mine) + 1, all.size() };
    }

    /** Counts a generate call; false when it goes beyond the allowed calls of the last minute. */
    synchronized boolean admit(int perMinute) {
        long now = System.nanoTime();
        while (!recentCalls.isEmpty() && now - recentCalls.peekFirst() >= MINUTE_NANOS) {
            recentCalls.removeFirst();
        }
        // Refused calls count too: a client that keeps hammering stays limited, as behind Cloudflare.
        recentCalls.addLast(now);
        return perMinute <= 0 || recentCalls.size() <= perMinute;
    }

    synchronized void reset() {
        recentCalls.clear();
        byKey.values().forEach(f -> f.done().complete(null));
        byKey.clear();
    }

    /** One generation holding its key's slot. */
    record InFlight(String key, String requestId, long order, CompletableFuture<Void> done) {
    }
}
