package dev.imagegen.emulator;

import java.util.Map;

/**
 * One request to an emulated endpoint, already read off the exchange.
 *
 * @param method HTTP method
 * @param path the path without query
 * @param query decoded query parameters (last value wins)
 * @param body the raw body text, {@code null} when there was none
 * @param identity the browser identity (the clearance cookie's value, freshly minted when absent)
 * @param faultDelayMs extra hold from a {@code delay} fault, for handlers that hold the request themselves
 */
record Request(String method, String path, Map<String, String> query, String body, String identity,
        long faultDelayMs) {

    Request withFaultDelay(long delayMs) {
        return new Request(method, path, query, body, identity, delayMs);
    }

    String param(String name) {
        return query.get(name);
    }
}
