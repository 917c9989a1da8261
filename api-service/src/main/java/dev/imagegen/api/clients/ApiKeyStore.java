package dev.imagegen.api.clients;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.DisposableBean;

/**
 * The API keys, read from {@code API_KEYS_FILE} at start (a bad file stops the start) and read again whenever
 * its modification time or size changes (a bad file then keeps the last good keys and logs why). Lookups are
 * by the SHA-256 of the presented key, so no key text is ever held or compared.
 */
final class ApiKeyStore implements DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(ApiKeyStore.class);

	private final Path file;

	private final JsonMapper json;

	private final ScheduledExecutorService watcher;

	private volatile Map<String, ApiKey> keys;

	private volatile String version;

	/**
	 * @param file the keys file, or {@code null} for none
	 * @param json the mapper
	 * @param properties for the reload interval
	 */
	ApiKeyStore(String file, JsonMapper json, ClientsProperties properties) {
		this.json = json;
		if (file == null || file.isBlank()) {
			this.file = null;
			this.keys = Map.of();
			this.watcher = null;
			return;
		}
		this.file = Paths.get(file);
		this.version = version(this.file);
		this.keys = ApiKeyFile.read(this.file, json);
		logger.info("API keys: {} entries from {}", this.keys.size(), this.file);
		this.watcher = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "api-keys-watcher");
			thread.setDaemon(true);
			return thread;
		});
		long interval = properties.keysReloadInterval().toMillis();
		this.watcher.scheduleWithFixedDelay(this::reloadIfChanged, interval, interval, TimeUnit.MILLISECONDS);
	}

	/** @return whether a keys file is configured (then unknown keys are refused) */
	boolean configured() {
		return this.file != null;
	}

	/**
	 * @param presentedKey the key a client sent
	 * @return its entry, if the key is known
	 */
	Optional<ApiKey> lookup(String presentedKey) {
		return Optional.ofNullable(this.keys.get(ApiKeyFile.sha256(presentedKey)));
	}

	/** Re-reads the file when it changed; package-private so a test can force the check. */
	void reloadIfChanged() {
		String current = version(this.file);
		if (current.equals(this.version)) {
			return;
		}
		this.version = current;
		try {
			this.keys = ApiKeyFile.read(this.file, this.json);
			logger.info("API keys reloaded: {} entries from {}", this.keys.size(), this.file);
		}
		catch (IllegalArgumentException ex) {
			logger.warn("API keys file changed but was not loaded; the previous {} keys stay in force: {}",
					this.keys.size(), ex.getMessage());
		}
	}

	private static String version(Path file) {
		try {
			BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
			return attributes.lastModifiedTime().toMillis() + ":" + attributes.size() + ":" + attributes.fileKey();
		}
		catch (IOException ex) {
			// A file being replaced may be missing for a moment; the next check sees the new one.
			return "missing";
		}
	}

	@Override
	public void destroy() {
		if (this.watcher != null) {
			this.watcher.shutdownNow();
		}
	}

}
