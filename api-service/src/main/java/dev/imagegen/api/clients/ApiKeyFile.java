package dev.imagegen.api.clients;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads {@code API_KEYS_FILE}:
 * {@code {"keys":[{"name":"alice","key":"…" | "sha256":"<64 hex>","generationsPerMinute":60,"maxConcurrent":4}]}}.
 * Strict: an unknown field, a missing name, a duplicate name or key, or a bad number is an error that names
 * the file and the entry, never something quietly ignored. Keys are hashed at once and never kept as text.
 */
final class ApiKeyFile {

	/** Names go into logs and metrics-free access lines: keep them to a safe alphabet. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

	private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

	/** Short keys can be guessed; 16 characters is the floor, 32 random bytes the advice. */
	static final int MIN_KEY_LENGTH = 16;

	private static final List<String> FIELDS = List.of("name", "key", "sha256", "generationsPerMinute", "maxConcurrent");

	private ApiKeyFile() {
	}

	/**
	 * @param file the file
	 * @param json the mapper
	 * @return the entries by SHA-256 of their key
	 * @throws IllegalArgumentException naming the file and, where it applies, the entry
	 */
	static Map<String, ApiKey> read(Path file, JsonMapper json) {
		JsonNode root;
		try {
			root = json.readTree(Files.readString(file, StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("API_KEYS_FILE " + file + " cannot be read: " + ex.getMessage(), ex);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("API_KEYS_FILE " + file + " is not valid JSON: " + ex.getOriginalMessage());
		}
		if (root == null || !root.isObject() || !root.path("keys").isArray()) {
			throw new IllegalArgumentException("API_KEYS_FILE " + file + " must be a JSON object with a \"keys\" array");
		}
		Map<String, ApiKey> keys = new LinkedHashMap<>();
		Set<String> names = new HashSet<>();
		int index = 0;
		for (JsonNode entry : root.path("keys")) {
			String where = "API_KEYS_FILE " + file + ", keys[" + index + "]";
			ApiKey key = entry(entry, where);
			if (!names.add(key.name())) {
				throw new IllegalArgumentException(where + ": the name '" + key.name() + "' is used twice");
			}
			if (keys.putIfAbsent(key.sha256(), key) != null) {
				throw new IllegalArgumentException(where + " (" + key.name() + "): the same key is listed twice");
			}
			index++;
		}
		return Map.copyOf(keys);
	}

	private static ApiKey entry(JsonNode entry, String where) {
		if (!entry.isObject()) {
			throw new IllegalArgumentException(where + " must be an object");
		}
		String name = entry.path("name").isString() ? entry.path("name").asString() : null;
		if (name == null || !NAME.matcher(name).matches()) {
			throw new IllegalArgumentException(where + ": \"name\" must be 1 to 64 letters, digits or ._@-");
		}
		String at = where + " (" + name + ")";
		for (String field : entry.propertyNames()) {
			if (!FIELDS.contains(field)) {
				throw new IllegalArgumentException(at + ": unknown field '" + field + "' (allowed: " + FIELDS + ")");
			}
		}
		boolean hasKey = entry.has("key");
		boolean hasHash = entry.has("sha256");
		if (hasKey == hasHash) {
			throw new IllegalArgumentException(at + ": give exactly one of \"key\" and \"sha256\"");
		}
		String sha256;
		if (hasKey) {
			String key = entry.path("key").isString() ? entry.path("key").asString() : "";
			if (key.length() < MIN_KEY_LENGTH || !key.chars().allMatch((c) -> c > 0x20 && c < 0x7f)) {
				throw new IllegalArgumentException(at + ": \"key\" must be at least " + MIN_KEY_LENGTH
						+ " printable ASCII characters without spaces");
			}
			sha256 = sha256(key);
		}
		else {
			String hash = entry.path("sha256").isString() ? entry.path("sha256").asString() : "";
			if (!SHA256.matcher(hash).matches()) {
				throw new IllegalArgumentException(at + ": \"sha256\" must be 64 hex digits (sha256sum of the key)");
			}
			sha256 = hash.toLowerCase(Locale.ROOT);
		}
		return new ApiKey(name, sha256, positive(entry, "generationsPerMinute", at), positive(entry, "maxConcurrent", at));
	}

	private static Integer positive(JsonNode entry, String field, String at) {
		if (!entry.has(field) || entry.get(field).isNull()) {
			return null;
		}
		JsonNode value = entry.get(field);
		if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
			throw new IllegalArgumentException(at + ": \"" + field + "\" must be a whole number of at least 1");
		}
		return value.intValue();
	}

	/**
	 * @param key a presented key
	 * @return its SHA-256 in lowercase hex
	 */
	static String sha256(String key) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every JVM has SHA-256", ex);
		}
	}

}
