package dev.imagegen.system.deploy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dashboards and alerts are written from {@code docs/operations.md} and {@code DEPLOYMENT_GUIDE.md}: every
 * Prometheus series named there must be one the services really export, and every {@code imagegen.*}
 * meter the services register must be documented.
 */
class OperationsDocsTests {

	private static final Pattern METER = Pattern.compile(
			"(Timer|Counter|Gauge)\\.builder\\(\\s*\"(imagegen\\.[a-z0-9_.]+)\"|(Observation)\\.createNotStarted\\(\\s*\"(imagegen\\.[a-z0-9_.]+)\"");

	private static final Pattern SERIES = Pattern.compile("\\bimagegen_[a-z0-9_]+");

	private final Repository repository = Repository.current();

	@Test
	void everyDocumentedSeriesIsExportedAndEveryMeterIsDocumented() {
		Set<String> exported = exportedSeries();
		assertThat(exported).as("imagegen.* meters in the services' sources").isNotEmpty();

		for (String document : new String[] { "docs/operations.md", "DEPLOYMENT_GUIDE.md", "docker/k8s/worker-hpa.yaml" }) {
			Set<String> named = namedSeries(this.repository.read(document));
			assertThat(exported).as("series named in " + document).containsAll(named);
		}
		assertThat(namedSeries(this.repository.read("docs/operations.md"))).as("documented in docs/operations.md")
			.containsAll(exported);
	}

	/** Prometheus base names: dots become underscores, timers get {@code _seconds}, counters {@code _total}. */
	private Set<String> exportedSeries() {
		Set<String> series = new TreeSet<>();
		for (String module : new String[] { "api-service", "worker-service" }) {
			for (String source : this.repository.mainSources(module)) {
				Matcher matcher = METER.matcher(source);
				while (matcher.find()) {
					if (matcher.group(3) != null) {
						// An observation also records a timer of its name (Micrometer's default meter handler).
						series.add(matcher.group(4).replace('.', '_') + "_seconds");
						continue;
					}
					String base = matcher.group(2).replace('.', '_');
					series.add(switch (matcher.group(1)) {
						case "Timer" -> base + "_seconds";
						case "Counter" -> base + "_total";
						default -> base;
					});
				}
			}
		}
		return series;
	}

	/** Series names in a text, without the suffixes Prometheus adds to a timer's base name. */
	private static Set<String> namedSeries(String text) {
		Set<String> names = new TreeSet<>();
		Matcher matcher = SERIES.matcher(text);
		while (matcher.find()) {
			names.add(matcher.group().replaceFirst("_(count|sum|max|bucket)$", ""));
		}
		return names;
	}

}
