package dev.imagegen.emulator;

import java.util.ArrayDeque;
import java.util.Deque;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Faults waiting for their endpoint, first queued first served. */
final class FaultQueue {

    private final Deque<Fault.Pending> pending = new ArrayDeque<>();

    synchronized void add(Fault.Pending fault) {
        pending.addLast(fault);
    }

    /** Takes one use of the oldest fault queued for this endpoint, or answers {@code null}. */
    synchronized Fault next(String endpoint) {
        for (var it = pending.iterator(); it.hasNext();) {
            Fault.Pending p = it.next();
            if (p.fault.endpoint().equals(endpoint)) {
                if (--p.remaining <= 0) {
                    it.remove();
                }
                return p.fault;
            }
        }
        return null;
    }

    synchronized ObjectNode toJson() {
        ObjectNode root = Json.object();
        ArrayNode list = root.putArray("faults");
        for (Fault.Pending p : pending) {
            list.add(p.fault.toJson(p.remaining));
        }
        return root;
    }

    synchronized void clear() {
        pending.clear();
    }
}
