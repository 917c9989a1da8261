package dev.imagegen.worker.config;

import java.util.Map;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a configuration binding failure into a message that names the environment variable an operator sets,
 * not only the Spring property it is mapped onto.
 */
class PropertyFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

	private static final Map<String, String> VARIABLES = Map.ofEntries(
			Map.entry("server.port", "PORT"), Map.entry("imagegen.worker.token", "WORKER_TOKEN"),
			Map.entry("imagegen.worker.perchance.base-url", "PERCHANCE_BASE_URL"),
			Map.entry("imagegen.worker.perchance.site-url", "PERCHANCE_SITE_URL"),
			Map.entry("imagegen.worker.browser.engine", "BROWSER_ENGINE"),
			Map.entry("imagegen.worker.browser.executable-path", "BROWSER_EXECUTABLE_PATH"),
			Map.entry("imagegen.worker.browser.headless", "BROWSER_HEADLESS"),
			Map.entry("imagegen.worker.browser.profile-dir", "BROWSER_PROFILE_DIR"),
			Map.entry("imagegen.worker.browser.sessions", "WORKER_SESSIONS"),
			Map.entry("imagegen.worker.browser.args", "BROWSER_ARGS"),
			Map.entry("imagegen.worker.browser.proxies", "BROWSER_PROXIES"),
			Map.entry("imagegen.worker.jobs.queue-capacity", "WORKER_QUEUE_CAPACITY"),
			Map.entry("imagegen.worker.jobs.generation-timeout", "GENERATION_TIMEOUT"));

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		String property = cause.getName().toString();
		String variable = VARIABLES.entrySet()
			.stream()
			.filter((e) -> property.startsWith(e.getKey()))
			.map(Map.Entry::getValue)
			.findFirst()
			.orElse(null);
		Throwable root = cause;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		if (variable == null && root.getMessage() != null) {
			// A record's own check failed: its message names the variable.
			String message = root.getMessage();
			variable = VARIABLES.values().stream().filter(message::contains).findFirst().orElse(null);
		}
		if (variable == null && cause.getCause() != null && cause.getCause().getMessage() != null) {
			// A validation failure (e.g. WORKER_SESSIONS above its maximum) names the properties in its message.
			String message = cause.getCause().getMessage();
			variable = VARIABLES.entrySet()
				.stream()
				.filter((e) -> message.contains(e.getKey()))
				.map(Map.Entry::getValue)
				.findFirst()
				.orElse(null);
		}
		String value = (cause.getProperty() != null) ? String.valueOf(cause.getProperty().getValue()) : null;
		StringBuilder description = new StringBuilder("Invalid worker configuration: ");
		description.append((variable != null) ? variable + " (" + property + ")" : property);
		if (value != null) {
			description.append(" = '").append(value).append('\'');
		}
		description.append(": ").append(root.getMessage());
		String action = "Fix " + ((variable != null) ? "the environment variable " + variable : "the property " + property)
				+ " (see docs/worker-api.md for the accepted values) and start the worker again.";
		return new FailureAnalysis(description.toString(), action, cause);
	}

}
