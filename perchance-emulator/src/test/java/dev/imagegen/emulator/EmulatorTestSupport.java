package dev.imagegen.emulator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** One emulator per test class on a free loopback port, reset before each test, with short latencies. */
abstract class EmulatorTestSupport {

    static PerchanceEmulator emulator;

    EmulatorClient client;

    @BeforeAll
    static void startEmulator() {
        emulator = PerchanceEmulator.start(0);
    }

    @AfterAll
    static void stopEmulator() {
        emulator.close();
    }

    @BeforeEach
    void resetEmulator() {
        client = new EmulatorClient(emulator.baseUrl());
        if (client.control("POST", "reset", null).statusCode() != 204) {
            throw new IllegalStateException("reset failed");
        }
        client.config("{\"generateLatencyMs\":20,\"turnstileDelayMs\":50}");
    }
}
