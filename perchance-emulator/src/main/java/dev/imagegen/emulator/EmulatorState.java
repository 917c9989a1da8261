package dev.imagegen.emulator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** Everything the emulator remembers; {@link #reset()} returns it to a freshly started state. */
final class EmulatorState {

    final AtomicReference<EmulatorConfig> config = new AtomicReference<>(EmulatorConfig.defaults());

    final Identities identities = new Identities();

    final FaultQueue faults = new FaultQueue();

    final RequestLog log = new RequestLog();

    final Generations generations = new Generations();

    final UpstreamQueue upstreamQueue = new UpstreamQueue();

    final ImageStore images = new ImageStore();

    final ImageRenderer renderer = new ImageRenderer();

    final Set<String> adAccessCodes = ConcurrentHashMap.newKeySet();

    EmulatorConfig config() {
        return config.get();
    }

    void reset() {
        config.set(EmulatorConfig.defaults());
        faults.clear();
        log.clear();
        identities.reset();
        generations.reset();
        upstreamQueue.reset();
        images.clear();
        adAccessCodes.clear();
    }
}
