package dev.imagegen.api.clients;

/**
 * One entry of the keys file, without the key itself: only its SHA-256 is kept in memory.
 *
 * @param name the client's name, shown in the access log and used as its identity
 * @param sha256 the key's SHA-256, 64 lowercase hex digits
 * @param generationsPerMinute the entry's own rate, or {@code null} for {@code KEY_GENERATIONS_PER_MINUTE}
 * @param maxConcurrent the entry's own cap, or {@code null} for {@code KEY_MAX_CONCURRENT}
 */
record ApiKey(String name, String sha256, Integer generationsPerMinute, Integer maxConcurrent) {
}
