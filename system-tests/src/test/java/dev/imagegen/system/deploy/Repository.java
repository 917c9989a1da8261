package dev.imagegen.system.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Reads the repository's own files (POMs, {@code application.yml}, {@code docker/}, {@code docs/}) as
 * the single source of truth that deployment files and documentation must agree with.
 */
final class Repository {

	/**
	 * {@code ${NAME}} or {@code ${NAME:default}} with an upper-case environment-style name; the default
	 * may itself hold one placeholder, e.g. {@code ${BROWSER_PROFILE_DIR:${java.io.tmpdir}/profiles}}.
	 */
	private static final Pattern ENV_PLACEHOLDER = Pattern
		.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::((?:[^{}$]|\\$\\{[^{}]*}|\\$)*))?}");

	private static final List<String> APPLICATION_FILES = List.of("application.yml", "application.yaml",
			"application.properties");

	private final Path root;

	/** Parsed POMs by relative path: several lookups read the same POM. */
	private final Map<String, Document> poms = new HashMap<>();

	/** Parsed YAML files by relative path: the Kubernetes lookups read every manifest many times. */
	private final Map<String, List<Map<String, Object>>> yamlFiles = new HashMap<>();

	Repository(Path root) {
		this.root = root;
	}

	/** The repository that holds this module, from {@code imagegen.root} or the parent folder. */
	static Repository current() {
		Path root = Path.of(System.getProperty("imagegen.root", "..")).toAbsolutePath().normalize();
		if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("system-tests"))) {
			throw new IllegalStateException("Not the repository root: " + root);
		}
		return new Repository(root);
	}

	Path path(String relative) {
		return this.root.resolve(relative);
	}

	String read(String relative) {
		try {
			return Files.readString(path(relative), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** A property of the root POM, e.g. {@code playwright.version}. */
	String rootPomProperty(String name) {
		Element properties = (Element) pom("pom.xml").getDocumentElement().getElementsByTagName("properties").item(0);
		return properties.getElementsByTagName(name).item(0).getTextContent().trim();
	}

	/** The project version of the root POM. */
	String version() {
		return directChild(pom("pom.xml").getDocumentElement(), "version");
	}

	/** The modules of the root POM, in reactor order as written. */
	List<String> modules() {
		var modules = pom("pom.xml").getElementsByTagName("module");
		List<String> names = new ArrayList<>();
		for (int i = 0; i < modules.getLength(); i++) {
			names.add(modules.item(i).getTextContent().trim());
		}
		return names;
	}

	/** The artifactId declared by a module's POM. */
	String artifactId(String module) {
		return directChild(pom(module + "/pom.xml").getDocumentElement(), "artifactId");
	}

	/** The classifier of the module's spring-boot-maven-plugin repackaged jar, or null when none. */
	private String bootJarClassifier(String module) {
		var classifiers = pom(module + "/pom.xml").getElementsByTagName("classifier");
		return classifiers.getLength() == 0 ? null : classifiers.item(0).getTextContent().trim();
	}

	/** The path of the module's runnable jar, relative to the root, as Maven's package phase writes it. */
	String runnableJar(String module) {
		String classifier = bootJarClassifier(module);
		return module + "/target/" + artifactId(module) + "-" + version()
				+ ((classifier != null) ? "-" + classifier : "") + ".jar";
	}

	/**
	 * Environment variables that a module's {@code application.yml} (or .yaml/.properties) reads through
	 * placeholders, with the default written there ({@code ""} when none).
	 */
	Map<String, String> applicationEnvironment(String module) {
		Map<String, String> variables = new LinkedHashMap<>();
		for (String name : APPLICATION_FILES) {
			String relative = module + "/src/main/resources/" + name;
			if (Files.isRegularFile(path(relative))) {
				variables.putAll(placeholders(withoutComments(read(relative))));
			}
		}
		return variables;
	}

	/** Every {@code System.getenv("NAME")} in a module's main sources (for the emulator, which has no Spring). */
	List<String> getenvCalls(String module) {
		Pattern getenv = Pattern.compile("getenv\\(\\s*\"([A-Z][A-Z0-9_]*)\"");
		List<String> names = new ArrayList<>();
		for (String source : mainSources(module)) {
			Matcher matcher = getenv.matcher(source);
			while (matcher.find()) {
				if (!names.contains(matcher.group(1))) {
					names.add(matcher.group(1));
				}
			}
		}
		return names;
	}

	/** The text of every {@code .java} file under a module's {@code src/main/java}. */
	List<String> mainSources(String module) {
		try (Stream<Path> files = Files.walk(path(module + "/src/main/java"))) {
			List<String> sources = new ArrayList<>();
			for (Path file : files.filter((f) -> f.toString().endsWith(".java")).toList()) {
				sources.add(Files.readString(file, StandardCharsets.UTF_8));
			}
			return sources;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Every YAML document of a file (Kubernetes manifests hold several), parsed once per file. */
	List<Map<String, Object>> yamlDocuments(String relative) {
		return this.yamlFiles.computeIfAbsent(relative, (key) -> {
			List<Map<String, Object>> documents = new ArrayList<>();
			for (Object document : new Yaml(new LoaderOptions()).loadAll(read(key))) {
				if (document != null) {
					@SuppressWarnings("unchecked")
					Map<String, Object> map = (Map<String, Object>) document;
					documents.add(map);
				}
			}
			return List.copyOf(documents);
		});
	}

	static Map<String, String> placeholders(String text) {
		Map<String, String> variables = new LinkedHashMap<>();
		Matcher matcher = ENV_PLACEHOLDER.matcher(text);
		while (matcher.find()) {
			variables.putIfAbsent(matcher.group(1), (matcher.group(2) != null) ? matcher.group(2).trim() : "");
		}
		return variables;
	}

	private static String withoutComments(String text) {
		StringBuilder kept = new StringBuilder();
		for (String line : text.split("\n")) {
			if (!line.stripLeading().startsWith("#")) {
				kept.append(line).append('\n');
			}
		}
		return kept.toString();
	}

	private Document pom(String relative) {
		return this.poms.computeIfAbsent(relative, (key) -> {
			try {
				DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
				factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
				return factory.newDocumentBuilder().parse(path(key).toFile());
			}
			catch (Exception ex) {
				throw new IllegalStateException("Cannot read " + key, ex);
			}
		});
	}

	private static String directChild(Element parent, String name) {
		for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
			if (node instanceof Element element && element.getTagName().equals(name)) {
				return element.getTextContent().trim();
			}
		}
		throw new IllegalStateException("No <" + name + "> in <" + parent.getTagName() + ">");
	}

}
