package dev.imagegen.emulator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Rendered images and the signed, expiring download tokens that point at them. A token carries its own
 * expiry under an HMAC, so an expired token is recognised (403) even after its image was evicted, and a
 * forged or foreign one is not (404).
 */
final class ImageStore {

    /** About 20 MB of 768x768 JPEGs; older images fall out first. */
    private static final int MAX_IMAGES = 200;

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] secret = new byte[32];

    private final SecureRandom random = new SecureRandom();

    private final Map<String, byte[]> byId = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > MAX_IMAGES;
        }
    };

    ImageStore() {
        random.nextBytes(secret);
    }

    /** Keeps the image and answers a token valid until {@code expiresAt}. */
    synchronized String put(String imageId, byte[] jpeg, Instant expiresAt) {
        byId.put(imageId, jpeg);
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        String payload = B64.encodeToString(ByteBuffer.allocate(8 + 12 + 32)
            .putLong(expiresAt.getEpochSecond())
            .put(nonce)
            .put(HexFormat.of().parseHex(imageId))
            .array());
        return "v1." + payload + "." + sign(payload);
    }

    /** What a token points at. */
    synchronized Lookup find(String token) {
        if (token == null) {
            return Lookup.unknown();
        }
        String[] parts = token.split("\\.");
        if (parts.length != 3 || !parts[0].equals("v1") || !MessageDigest.isEqual(
                sign(parts[1]).getBytes(StandardCharsets.US_ASCII), parts[2].getBytes(StandardCharsets.US_ASCII))) {
            return Lookup.unknown();
        }
        ByteBuffer payload;
        try {
            payload = ByteBuffer.wrap(Base64.getUrlDecoder().decode(parts[1]));
        }
        catch (IllegalArgumentException ex) {
            return Lookup.unknown();
        }
        if (payload.remaining() != 8 + 12 + 32) {
            return Lookup.unknown();
        }
        Instant expiresAt = Instant.ofEpochSecond(payload.getLong());
        payload.position(8 + 12);
        byte[] id = new byte[32];
        payload.get(id);
        String imageId = HexFormat.of().formatHex(id);
        if (!Instant.now().isBefore(expiresAt)) {
            return new Lookup(State.EXPIRED, imageId, null, expiresAt);
        }
        byte[] jpeg = byId.get(imageId);
        return jpeg == null ? Lookup.unknown() : new Lookup(State.FOUND, imageId, jpeg, expiresAt);
    }

    /** The legacy path: by image id, no token. */
    synchronized byte[] byImageId(String imageId) {
        return imageId == null ? null : byId.get(imageId);
    }

    synchronized void clear() {
        byId.clear();
        random.nextBytes(secret);
    }

    private String sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return B64.encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", ex);
        }
    }

    /** Whether a token leads to an image. */
    enum State {
        FOUND, EXPIRED, UNKNOWN
    }

    /** The result of resolving a download token. */
    record Lookup(State state, String imageId, byte[] jpeg, Instant expiresAt) {

        static Lookup unknown() {
            return new Lookup(State.UNKNOWN, null, null, null);
        }
    }
}
