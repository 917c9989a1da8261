package dev.imagegen.emulator;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Browser identities (the clearance cookie), the user keys bound to them, and the single-use Turnstile
 * tokens the {@code /embed} widget hands out.
 */
final class Identities {

    /** Real Turnstile tokens are valid for 300 s. */
    private static final Duration TOKEN_TTL = Duration.ofSeconds(300);

    private final SecureRandom random = new SecureRandom();

    private final Map<String, String> keyByIdentity = new ConcurrentHashMap<>();

    private final Set<String> liveKeys = ConcurrentHashMap.newKeySet();

    private final Map<String, Instant> turnstileTokens = new ConcurrentHashMap<>();

    String newIdentity() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "-" + Instant.now().getEpochSecond()
                + "-1.2.1.1";
    }

    /** The identity's key if it still works. */
    synchronized Optional<String> liveKey(String identity) {
        String key = keyByIdentity.get(identity);
        return key != null && liveKeys.contains(key) ? Optional.of(key) : Optional.empty();
    }

    synchronized String issueKey(String identity) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String key = HexFormat.of().formatHex(bytes);
        liveKeys.add(key);
        keyByIdentity.put(identity, key);
        return key;
    }

    boolean isLive(String key) {
        return key != null && liveKeys.contains(key);
    }

    /** Every key stops working; identities stay, so their next verifyUser gets a new key. */
    synchronized void expireAllKeys() {
        liveKeys.clear();
        keyByIdentity.clear();
    }

    String newTurnstileToken() {
        byte[] bytes = new byte[96];
        random.nextBytes(bytes);
        String token = "0." + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = Instant.now();
        turnstileTokens.values().removeIf(expiry -> expiry.isBefore(now));
        turnstileTokens.put(token, now.plus(TOKEN_TTL));
        return token;
    }

    /** True once for a registered, unexpired token; the token is gone afterwards. */
    boolean consumeTurnstileToken(String token) {
        Instant expiry = turnstileTokens.remove(token);
        return expiry != null && expiry.isAfter(Instant.now());
    }

    synchronized void reset() {
        expireAllKeys();
        turnstileTokens.clear();
    }
}
