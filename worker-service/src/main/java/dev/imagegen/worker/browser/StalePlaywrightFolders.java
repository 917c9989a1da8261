package dev.imagegen.worker.browser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the {@code playwright-java-*} folders (about 130 MB each: the Node driver) that a worker killed with
 * {@code kill -9} leaves in the temporary directory, since Playwright deletes its folder only on a clean exit.
 * A folder is removed only when it is surely nobody's: it was last changed before this process started and
 * at least {@link #MIN_AGE} ago (so neither a worker extracting its driver now nor a live worker between two
 * driver starts loses its folder), and no
 * running process has it in its command line, executable or working directory (the driver of another live
 * worker runs from there). Without {@code /proc} (not Linux) nothing is removed.
 */
final class StalePlaywrightFolders {

	private static final Logger log = LoggerFactory.getLogger(StalePlaywrightFolders.class);

	static final String PREFIX = "playwright-java-";

	/**
	 * A live worker's folder is unreferenced while its driver is down (between Playwright instances), so being
	 * unused right now proves nothing: only a folder untouched for a day, and unused, is taken for dead.
	 */
	static final Duration MIN_AGE = Duration.ofHours(24);

	private final Path tmp;

	private final Path proc;

	private final Instant processStart;

	StalePlaywrightFolders(Path tmp, Path proc, Instant processStart) {
		this.tmp = tmp;
		this.proc = proc;
		this.processStart = processStart;
	}

	/** The temporary directory of this JVM, {@code /proc}, and this process's start. */
	static StalePlaywrightFolders forThisProcess() {
		Instant start = ProcessHandle.current().info().startInstant().orElse(Instant.now());
		return new StalePlaywrightFolders(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/proc"), start);
	}

	/**
	 * Deletes the stale folders.
	 * @return the folders deleted
	 */
	List<Path> clean() {
		List<Path> deleted = new ArrayList<>();
		if (!Files.isDirectory(this.proc)) {
			return deleted;
		}
		Instant dayAgo = Instant.now().minus(MIN_AGE);
		Instant cutoff = this.processStart.isBefore(dayAgo) ? this.processStart : dayAgo;
		List<Path> candidates = new ArrayList<>();
		try (DirectoryStream<Path> folders = Files.newDirectoryStream(this.tmp, PREFIX + "*")) {
			for (Path folder : folders) {
				if (Files.isDirectory(folder) && !Files.isSymbolicLink(folder)
						&& Files.getLastModifiedTime(folder).toInstant().isBefore(cutoff)) {
					candidates.add(folder);
				}
			}
		}
		catch (IOException ex) {
			log.debug("Cannot list {}: {}", this.tmp, ex.toString());
			return deleted;
		}
		if (candidates.isEmpty()) {
			return deleted;
		}
		List<String> inUse = referencesOfRunningProcesses();
		for (Path folder : candidates) {
			String name = folder.toAbsolutePath().toString();
			if (inUse.stream().anyMatch((ref) -> ref.contains(name))) {
				continue;
			}
			if (deleteTree(folder)) {
				deleted.add(folder);
			}
		}
		if (!deleted.isEmpty()) {
			log.info("Removed {} Playwright folder(s) left by a worker that did not stop cleanly: {}", deleted.size(),
					deleted);
		}
		return deleted;
	}

	/** Command lines, executables and working directories of every process we may look at. */
	private List<String> referencesOfRunningProcesses() {
		List<String> refs = new ArrayList<>();
		try (DirectoryStream<Path> pids = Files.newDirectoryStream(this.proc, "[0-9]*")) {
			for (Path pid : pids) {
				try {
					refs.add(new String(Files.readAllBytes(pid.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' '));
				}
				catch (IOException | RuntimeException ex) {
					// Gone meanwhile, or not ours to read.
				}
				for (String link : new String[] { "exe", "cwd" }) {
					try {
						refs.add(Files.readSymbolicLink(pid.resolve(link)).toString());
					}
					catch (IOException | RuntimeException ex) {
						// Gone meanwhile, or not ours to read.
					}
				}
			}
		}
		catch (IOException ex) {
			log.debug("Cannot list {}: {}", this.proc, ex.toString());
		}
		return refs;
	}

	private static boolean deleteTree(Path folder) {
		try {
			Files.walkFileTree(folder, new SimpleFileVisitor<>() {
				@Override
				public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
					Files.deleteIfExists(file);
					return FileVisitResult.CONTINUE;
				}

				@Override
				public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
					Files.deleteIfExists(dir);
					return FileVisitResult.CONTINUE;
				}
			});
			return true;
		}
		catch (IOException ex) {
			log.debug("Cannot delete {}: {}", folder, ex.toString());
			return false;
		}
	}

}
