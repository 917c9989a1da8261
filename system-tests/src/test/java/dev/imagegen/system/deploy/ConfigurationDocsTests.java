package dev.imagegen.system.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/configuration.md} is the operator's reference: every variable it lists for a service
 * must be one that service reads, with the default the service really uses, and every variable the
 * service reads must be listed.
 */
class ConfigurationDocsTests {

	private static final Pattern VARIABLE_CELL = Pattern.compile("^`([A-Z][A-Z0-9_]*)`$");

	private final Repository repository = Repository.current();

	@ParameterizedTest
	@ValueSource(strings = { "api-service", "worker-service" })
	void documentedVariablesAreExactlyTheOnesTheServiceReads(String module) {
		Map<String, String> read = this.repository.applicationEnvironment(module);
		Map<String, String> documented = documentedVariables(module);

		assertThat(read).as(module + "/src/main/resources/application.yml placeholders").isNotEmpty();
		assertThat(documented.keySet()).as("docs/configuration.md, section " + module)
			.containsExactlyInAnyOrderElementsOf(read.keySet());
	}

	@ParameterizedTest
	@ValueSource(strings = { "api-service", "worker-service" })
	void documentedDefaultsAreTheServicesDefaults(String module) {
		Map<String, String> documented = documentedVariables(module);
		this.repository.applicationEnvironment(module).forEach((variable, fallback) -> {
			// A default computed from another property ("${java.io.tmpdir}/...") is described in words.
			if (!fallback.isEmpty() && !fallback.contains("${") && documented.containsKey(variable)) {
				assertThat(documented.get(variable)).as("documented default of " + variable + " (" + module + ")")
					.isEqualTo(fallback);
			}
		});
	}

	@ParameterizedTest
	@ValueSource(strings = { "perchance-emulator" })
	void emulatorVariablesAreTheOnesItsMainReads(String module) {
		assertThat(documentedVariables(module).keySet()).as("docs/configuration.md, section " + module)
			.containsExactlyInAnyOrderElementsOf(this.repository.getenvCalls(module));
	}

	/**
	 * Variables of the tables under the {@code ## <module>} heading: the first cell is the name in
	 * backticks, the "default" column (by its header) the default.
	 */
	private Map<String, String> documentedVariables(String module) {
		List<String> lines = this.repository.read("docs/configuration.md").lines().toList();
		Map<String, String> variables = new LinkedHashMap<>();
		boolean inSection = false;
		int defaultColumn = -1;
		for (String line : lines) {
			if (line.startsWith("## ")) {
				inSection = line.substring(3).trim().startsWith(module);
				defaultColumn = -1;
				continue;
			}
			if (!inSection || !line.startsWith("|")) {
				continue;
			}
			List<String> cells = cells(line);
			if (defaultColumn < 0 && cells.contains("default")) {
				defaultColumn = cells.indexOf("default");
				continue;
			}
			Matcher name = VARIABLE_CELL.matcher(cells.get(0));
			if (name.matches()) {
				String fallback = (defaultColumn >= 0 && defaultColumn < cells.size()) ? cells.get(defaultColumn) : "";
				variables.put(name.group(1), fallback.replace("`", "").trim());
			}
		}
		assertThat(variables).as("variables under '## " + module + "' in docs/configuration.md").isNotEmpty();
		return variables;
	}

	private static List<String> cells(String row) {
		String trimmed = row.trim();
		String inner = trimmed.substring(1, trimmed.endsWith("|") ? trimmed.length() - 1 : trimmed.length());
		return List.of(inner.split("(?<!\\\\)\\|", -1)).stream().map(String::trim).toList();
	}

}
