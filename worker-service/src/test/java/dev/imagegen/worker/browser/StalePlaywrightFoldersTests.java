package dev.imagegen.worker.browser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stale {@code playwright-java-*} folders of killed workers are removed at start; a live worker's folder (in
 * use by a running process) and one created after this process started are kept.
 */
class StalePlaywrightFoldersTests {

	@TempDir
	Path tmp;

	@Test
	void onlyFoldersOfDeadWorkersAreRemoved() throws Exception {
		Instant start = Instant.now().minus(Duration.ofMinutes(1));
		Path dead = folder("playwright-java-111", Instant.now().minus(Duration.ofDays(2)));
		Path live = folder("playwright-java-222", Instant.now().minus(Duration.ofDays(2)));
		Path fresh = folder("playwright-java-333", Instant.now());
		// An hour old and unused: a live worker between two driver starts looks like this.
		Path resting = folder("playwright-java-555", start.minus(Duration.ofHours(1)));
		Path other = folder("something-else", start.minus(Duration.ofHours(1)));
		// A running process whose command line names the live folder, as the driver of a running worker does.
		Process user = new ProcessBuilder("sh", "-c", "sleep 60; true", live.resolve("package").toString()).start();
		try {
			// Until exec has happened, /proc shows the forking JVM's command line.
			Path cmdline = Path.of("/proc", Long.toString(user.pid()), "cmdline");
			await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(cmdline).contains(live.toString()));
			var deleted = new StalePlaywrightFolders(this.tmp, Path.of("/proc"), start).clean();

			assertThat(deleted).containsExactly(dead);
			assertThat(dead).doesNotExist();
			assertThat(live).exists();
			assertThat(fresh).exists();
			assertThat(resting).exists();
			assertThat(other).exists();
		}
		finally {
			user.destroy();
			user.waitFor(5, TimeUnit.SECONDS);
		}
	}

	@Test
	void withoutProcNothingIsRemoved() throws IOException {
		Path dead = folder("playwright-java-444", Instant.now().minus(Duration.ofDays(2)));

		assertThat(new StalePlaywrightFolders(this.tmp, this.tmp.resolve("no-proc"), Instant.now()).clean()).isEmpty();
		assertThat(dead).exists();
	}

	private Path folder(String name, Instant modified) throws IOException {
		Path folder = Files.createDirectories(this.tmp.resolve(name).resolve("package"));
		Files.writeString(folder.resolve("cli.js"), "// driver");
		Files.setLastModifiedTime(folder.getParent(), FileTime.from(modified));
		return folder.getParent();
	}

}
