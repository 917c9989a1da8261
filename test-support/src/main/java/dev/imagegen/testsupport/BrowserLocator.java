package dev.imagegen.testsupport;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Decides which Chromium the browser tests drive, in the order README promises: {@code BROWSER_EXECUTABLE_PATH}
 * (or the {@code test.browser.executable} system property), then a system Chromium at the usual places of
 * Debian, Ubuntu, Fedora and macOS or on the {@code PATH}, then Playwright's own Chromium (downloaded when the
 * internet allows). Pure decision logic: the file system and the download are passed in, so that the order
 * itself is unit-tested without a browser.
 */
final class BrowserLocator {

	/** Where distributions install Chromium or Chrome, most common first. */
	static final List<String> SYSTEM_PATHS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser",
			"/snap/bin/chromium", "/usr/lib64/chromium-browser/chromium-browser", "/usr/lib/chromium/chromium",
			"/usr/bin/google-chrome", "/usr/bin/google-chrome-stable",
			"/Applications/Chromium.app/Contents/MacOS/Chromium",
			"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome");

	/** Names looked up on the {@code PATH} when none of the usual places has a browser. */
	static final List<String> PATH_NAMES = List.of("chromium", "chromium-browser", "google-chrome",
			"google-chrome-stable");

	/** The one message a machine without any browser gets. */
	static final String NONE_FOUND = "No Chromium for the browser tests, and Playwright could not download its own "
			+ "(no internet?). Install one: sudo apt-get install -y chromium (Debian/Ubuntu; "
			+ "sudo dnf install -y chromium on Fedora), or set BROWSER_EXECUTABLE_PATH to a Chromium or Chrome binary.";

	/**
	 * A browser and where it came from (for the log line that says which one the tests use).
	 * @param path the executable
	 * @param source how it was found
	 */
	record Found(Path path, String source) {
	}

	private final Map<String, String> env;

	private final String explicitProperty;

	private final Predicate<Path> isExecutable;

	private final Supplier<Optional<Path>> playwrightOwn;

	/**
	 * @param env the process environment
	 * @param explicitProperty the {@code test.browser.executable} system property, or {@code null}
	 * @param isExecutable whether a path is an executable file
	 * @param playwrightOwn Playwright's own Chromium, downloading it if needed; empty when it cannot be had
	 */
	BrowserLocator(Map<String, String> env, String explicitProperty, Predicate<Path> isExecutable,
			Supplier<Optional<Path>> playwrightOwn) {
		this.env = env;
		this.explicitProperty = explicitProperty;
		this.isExecutable = isExecutable;
		this.playwrightOwn = playwrightOwn;
	}

	/**
	 * @return the browser to use
	 * @throws IllegalStateException when an explicitly named browser is not executable, or none can be had
	 */
	Found locate() {
		for (String[] explicit : new String[][] { { "BROWSER_EXECUTABLE_PATH", this.env.get("BROWSER_EXECUTABLE_PATH") },
				{ "test.browser.executable", this.explicitProperty } }) {
			if (explicit[1] != null && !explicit[1].isBlank()) {
				Path path = Paths.get(explicit[1].trim());
				// A browser the user named and that does not work is their mistake to hear about, not to paper over.
				if (!this.isExecutable.test(path)) {
					throw new IllegalStateException(explicit[0] + "=" + explicit[1] + " is not an executable file");
				}
				return new Found(path, explicit[0]);
			}
		}
		for (Path candidate : systemCandidates()) {
			if (this.isExecutable.test(candidate)) {
				return new Found(candidate, "system Chromium");
			}
		}
		return this.playwrightOwn.get()
			.map((path) -> new Found(path, "Playwright's own Chromium"))
			.orElseThrow(() -> new IllegalStateException(NONE_FOUND));
	}

	private List<Path> systemCandidates() {
		List<Path> candidates = new ArrayList<>();
		for (String path : SYSTEM_PATHS) {
			candidates.add(Paths.get(path));
		}
		String pathVariable = this.env.getOrDefault("PATH", "");
		boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
		for (String name : PATH_NAMES) {
			for (String dir : pathVariable.split(windows ? ";" : ":")) {
				if (!dir.isBlank()) {
					candidates.add(Paths.get(dir, name));
				}
			}
		}
		return candidates;
	}

}
