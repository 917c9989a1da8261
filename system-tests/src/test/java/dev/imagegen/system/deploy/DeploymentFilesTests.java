package dev.imagegen.system.deploy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Docker engine or cluster runs the build, so the deployment files are checked by reading them:
 * their ports, environment variables, jar paths, probes and image tags must agree with the POMs and
 * with what each service's {@code application.yml} actually reads.
 */
class DeploymentFilesTests {

	/** Variables read by the JVM, the C library or Playwright themselves, not by the applications' configuration. */
	private static final Set<String> RUNTIME_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX",
			"PLAYWRIGHT_BROWSERS_PATH", "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD");

	private static final Pattern EXPOSE = Pattern.compile("(?m)^EXPOSE\\s+(\\d+)");

	private static final Pattern HEALTHCHECK = Pattern.compile("(?m)^HEALTHCHECK\\s.*?CMD\\s+(.*)$");

	private final Repository repository = Repository.current();

	/** The deployable services and where their deployment files describe them. */
	enum Service {

		API("api-service", "api.Dockerfile", "api", "imagegen-api", "/readyz"),
		WORKER("worker-service", "worker.Dockerfile", "worker", "imagegen-worker", "/readyz"),
		EMULATOR("perchance-emulator", "emulator.Dockerfile", "emulator", null, "/__emulator/config");

		final String module;

		final String dockerfile;

		final String composeName;

		final String kubernetesName;

		final String readinessPath;

		Service(String module, String dockerfile, String composeName, String kubernetesName, String readinessPath) {
			this.module = module;
			this.dockerfile = dockerfile;
			this.composeName = composeName;
			this.kubernetesName = kubernetesName;
			this.readinessPath = readinessPath;
		}

	}

	@Test
	void workerImageIsPlaywrightsImageOfTheRootPomsPlaywrightVersion() {
		String version = this.repository.rootPomProperty("playwright.version");
		List<String> froms = fromImages(dockerfile(Service.WORKER));

		assertThat(froms).filteredOn((image) -> image.startsWith("mcr.microsoft.com/playwright/"))
			.isNotEmpty()
			.allSatisfy((image) -> assertThat(image).isEqualTo("mcr.microsoft.com/playwright/java:v" + version + "-noble"));
		assertThat(froms.get(froms.size() - 1)).as("the runtime stage")
			.isEqualTo("mcr.microsoft.com/playwright/java:v" + version + "-noble");
	}

	@Test
	void jreImagesArePinnedAndNonRoot() {
		for (Service service : Service.values()) {
			String dockerfile = dockerfile(service);
			assertThat(fromImages(dockerfile)).as(service.dockerfile)
				.allSatisfy((image) -> assertThat(image).as("pinned tag").contains(":").doesNotEndWith(":latest"));
			assertThat(dockerfile).as(service.dockerfile).containsPattern("(?m)^USER\\s+\\d+(:\\d+)?\\s*$");
		}
		assertThat(fromImages(dockerfile(Service.API))).last().isEqualTo("eclipse-temurin:17-jre-noble");
	}

	@ParameterizedTest
	@EnumSource(Service.class)
	void dockerfileBuildsAndCopiesTheJarThatMavenProduces(Service service) {
		String dockerfile = dockerfile(service);

		assertThat(dockerfile).contains("/src/" + this.repository.runnableJar(service.module));
		assertThat(dockerfile).containsPattern("mvn .*-pl " + Pattern.quote(service.module) + "\\b");
		// Maven reads every module's POM, even for -pl: a module added later must be copied too.
		for (String module : this.repository.modules()) {
			assertThat(dockerfile).as(service.dockerfile).contains("COPY " + module + "/pom.xml");
		}
	}

	@Test
	void springBootImagesRunTheExtractedLayers() {
		for (Service service : List.of(Service.API, Service.WORKER)) {
			String dockerfile = dockerfile(service);
			assertThat(dockerfile).as(service.dockerfile)
				.contains("java -Djarmode=tools -jar app.jar extract --layers --launcher")
				.contains("org.springframework.boot.loader.launch.JarLauncher");
			for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
				assertThat(dockerfile).as(service.dockerfile).contains("/extracted/" + layer + "/");
			}
		}
		assertThat(dockerfile(Service.WORKER)).contains("ENTRYPOINT [\"/usr/bin/tini\", \"--\"")
			.containsPattern("VOLUME \\[\"/data/profiles\"]");
	}

	@ParameterizedTest
	@EnumSource(Service.class)
	void everyFileUsesTheServicesDefaultPort(Service service) {
		int port = defaultPort(service);
		String dockerfile = dockerfile(service);

		Matcher expose = EXPOSE.matcher(dockerfile);
		assertThat(expose.find()).as("EXPOSE in " + service.dockerfile).isTrue();
		assertThat(Integer.parseInt(expose.group(1))).isEqualTo(port);
		assertThat(dockerEnv(dockerfile)).containsEntry("PORT", String.valueOf(port));

		Map<String, Object> compose = composeService(service);
		assertThat(map(compose.get("environment"))).containsEntry("PORT", String.valueOf(port));
		assertThat(healthcheckUrl(compose)).isEqualTo("http://127.0.0.1:" + port + service.readinessPath);
		if (service == Service.API) {
			// The only published service: any host port, the container's own port.
			assertThat(list(compose.get("ports"))).singleElement()
				.satisfies((mapping) -> assertThat(String.valueOf(mapping)).endsWith(":" + port));
		}
		else {
			assertThat(list(compose.get("expose"))).containsExactly(String.valueOf(port));
		}

		if (service.kubernetesName != null) {
			Map<String, Object> container = kubernetesContainer(service);
			Map<String, Object> httpPort = map(list(container.get("ports")).get(0));
			assertThat(httpPort).containsEntry("name", "http").containsEntry("containerPort", port);
			assertThat(kubernetesEnv(container)).containsEntry("PORT", String.valueOf(port));
			Map<String, Object> k8sService = kubernetesObject("Service", service.kubernetesName);
			assertThat(list(map(k8sService.get("spec")).get("ports")))
				.allSatisfy((p) -> assertThat(map(p)).containsEntry("targetPort", "http"));
		}
	}

	@ParameterizedTest
	@EnumSource(Service.class)
	void healthChecksAskForReadiness(Service service) {
		Matcher healthcheck = HEALTHCHECK.matcher(dockerfile(service).replace("\\\n", " "));
		assertThat(healthcheck.find()).as("HEALTHCHECK in " + service.dockerfile).isTrue();
		assertThat(healthcheck.group(1)).contains("http://127.0.0.1:${PORT}" + service.readinessPath);

		if (service.kubernetesName != null) {
			Map<String, Object> container = kubernetesContainer(service);
			for (String probe : List.of("startupProbe", "readinessProbe")) {
				assertThat(map(map(container.get(probe)).get("httpGet"))).as(probe)
					.containsEntry("path", "/readyz")
					.containsEntry("port", "http");
			}
			assertThat(map(map(container.get("livenessProbe")).get("httpGet")))
				.containsEntry("path", "/livez")
				.containsEntry("port", "http");
			assertThat(map(map(container.get("resources")).get("requests"))).containsKeys("cpu", "memory");
			assertThat(map(map(container.get("resources")).get("limits"))).containsKey("memory");
		}
	}

	@ParameterizedTest
	@EnumSource(value = Service.class, names = { "API", "WORKER" })
	void deploymentFilesSetOnlyVariablesTheServiceReads(Service service) {
		Set<String> known = new LinkedHashSet<>(this.repository.applicationEnvironment(service.module).keySet());
		assertThat(known).as("env placeholders in " + service.module + "'s application.yml").contains("PORT");
		known.addAll(RUNTIME_VARIABLES);

		assertThat(dockerEnv(dockerfile(service)).keySet()).as(service.dockerfile).isSubsetOf(known);
		assertThat(map(composeService(service).get("environment")).keySet()).as("compose " + service.composeName)
			.isSubsetOf(known);
		assertThat(kubernetesEnv(kubernetesContainer(service)).keySet()).as("k8s " + service.kubernetesName)
			.isSubsetOf(known);
	}

	@Test
	void apiReachesTheWorkerWithTheSameTokenEverywhere() {
		int workerPort = defaultPort(Service.WORKER);

		Map<String, Object> composeApiEnv = map(composeService(Service.API).get("environment"));
		Map<String, Object> composeWorkerEnv = map(composeService(Service.WORKER).get("environment"));
		assertThat(URI.create((String) composeApiEnv.get("PERCHANCE_WORKER_URL")))
			.hasHost(Service.WORKER.composeName)
			.hasPort(workerPort);
		assertThat(composeApiEnv.get("WORKER_TOKEN")).isNotNull().isEqualTo(composeWorkerEnv.get("WORKER_TOKEN"));

		Map<String, String> k8sApiEnv = kubernetesEnv(kubernetesContainer(Service.API));
		assertThat(URI.create(k8sApiEnv.get("PERCHANCE_WORKER_URL"))).hasHost(Service.WORKER.kubernetesName)
			.hasPort(workerPort);
		Map<String, Object> workerServicePort = map(
				list(map(kubernetesObject("Service", Service.WORKER.kubernetesName).get("spec")).get("ports")).get(0));
		assertThat(workerServicePort).containsEntry("port", workerPort);

		Map<String, Object> secret = kubernetesObject("Secret", null);
		String secretName = (String) map(secret.get("metadata")).get("name");
		Set<String> secretKeys = new LinkedHashSet<>();
		secretKeys.addAll(map(secret.getOrDefault("stringData", Map.of())).keySet());
		secretKeys.addAll(map(secret.getOrDefault("data", Map.of())).keySet());
		for (Service service : List.of(Service.API, Service.WORKER)) {
			Map<String, Object> tokenRef = kubernetesEnvSource(kubernetesContainer(service), "WORKER_TOKEN");
			assertThat(tokenRef).as(service + " WORKER_TOKEN from the Secret")
				.containsEntry("name", secretName);
			assertThat(secretKeys).contains((String) tokenRef.get("key"));
		}
	}

	@Test
	void composeStartsThingsInOrderAndKeepsTheWorkerScalableAndPrivate() {
		Map<String, Object> api = composeService(Service.API);
		Map<String, Object> worker = composeService(Service.WORKER);
		Map<String, Object> emulator = composeService(Service.EMULATOR);

		assertThat(list(emulator.get("profiles"))).containsExactly("offline");
		assertThat(map(map(api.get("depends_on")).get("worker"))).containsEntry("condition", "service_healthy");
		assertThat(map(map(worker.get("depends_on")).get("emulator"))).containsEntry("condition", "service_healthy")
			.containsEntry("required", false);
		assertThat(worker).containsKey("shm_size").doesNotContainKeys("ports", "container_name");
		assertThat(emulator).doesNotContainKeys("ports", "container_name");
		for (Map<String, Object> service : List.of(api, worker, emulator)) {
			assertThat(service).containsKeys("healthcheck", "build");
			assertThat(map(service.get("build"))).containsEntry("context", "..");
		}
		assertThat(map(worker.get("build"))).containsEntry("dockerfile", "docker/" + Service.WORKER.dockerfile);
		assertThat(map(api.get("build"))).containsEntry("dockerfile", "docker/" + Service.API.dockerfile);
		assertThat(map(emulator.get("build"))).containsEntry("dockerfile", "docker/" + Service.EMULATOR.dockerfile);
		assertThat((String) api.get("image")).endsWith(":" + this.repository.version());
		assertThat((String) worker.get("image")).endsWith(":" + this.repository.version());

		String offline = this.repository.read("docker/offline.env");
		assertThat(offline).contains("COMPOSE_PROFILES=offline")
			.contains("PERCHANCE_BASE_URL=http://emulator:" + defaultPort(Service.EMULATOR))
			.contains("PERCHANCE_SITE_URL=http://emulator:" + defaultPort(Service.EMULATOR));
	}

	@Test
	void kubernetesManifestsAreCompleteAndListed() throws IOException {
		Map<String, Object> kustomization = this.repository.yamlDocuments("docker/k8s/kustomization.yaml").get(0);
		List<String> resources = list(kustomization.get("resources")).stream().map(String::valueOf).toList();
		try (Stream<Path> files = Files.list(this.repository.path("docker/k8s"))) {
			List<String> manifests = files.map((f) -> f.getFileName().toString())
				.filter((name) -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
				.toList();
			assertThat(resources).containsExactlyInAnyOrderElementsOf(manifests);
		}
		for (Object image : list(kustomization.get("images"))) {
			assertThat(map(image)).containsEntry("newTag", this.repository.version());
		}

		Map<String, Object> hpa = kubernetesObject("HorizontalPodAutoscaler", Service.WORKER.kubernetesName);
		assertThat(map(map(hpa.get("spec")).get("scaleTargetRef"))).containsEntry("kind", "Deployment")
			.containsEntry("name", Service.WORKER.kubernetesName);
		Map<String, Object> workerPodLabels = map(map(map(map(
				kubernetesObject("Deployment", Service.WORKER.kubernetesName).get("spec")).get("template"))
			.get("metadata")).get("labels"));
		Map<String, Object> pdb = kubernetesObject("PodDisruptionBudget", Service.WORKER.kubernetesName);
		assertThat(workerPodLabels).containsAllEntriesOf(
				map(map(map(pdb.get("spec")).get("selector")).get("matchLabels")));
		Map<String, Object> policy = kubernetesObject("NetworkPolicy", Service.WORKER.kubernetesName);
		assertThat(workerPodLabels).containsAllEntriesOf(
				map(map(map(policy.get("spec")).get("podSelector")).get("matchLabels")));
		Map<String, Object> volumes = new LinkedHashMap<>();
		Map<String, Object> podSpec = map(map(map(
				kubernetesObject("Deployment", Service.WORKER.kubernetesName).get("spec")).get("template")).get("spec"));
		list(podSpec.get("volumes")).forEach((v) -> volumes.put((String) map(v).get("name"), v));
		List<String> mounts = list(kubernetesContainer(Service.WORKER).get("volumeMounts")).stream()
			.map((m) -> (String) map(m).get("mountPath"))
			.toList();
		assertThat(mounts).contains("/dev/shm", kubernetesEnv(kubernetesContainer(Service.WORKER)).get("BROWSER_PROFILE_DIR"));
		assertThat(volumes).isNotEmpty();
	}

	@Test
	void theScaleOutProfileRunsWorkersAndApisThroughOneRedisBehindOnePort() {
		Map<String, Object> services = map(this.repository.yamlDocuments("docker/compose.yaml").get(0).get("services"));
		for (String name : List.of("redis", "worker-redis", "api-redis", "gateway")) {
			assertThat(list(map(services.get(name)).get("profiles"))).as(name).containsExactly("scaleout");
		}
		Map<String, Object> worker = map(services.get("worker-redis"));
		Map<String, Object> api = map(services.get("api-redis"));
		Map<String, Object> workerEnv = map(worker.get("environment"));
		Map<String, Object> apiEnv = map(api.get("environment"));
		Set<String> workerKnown = new LinkedHashSet<>(
				this.repository.applicationEnvironment(Service.WORKER.module).keySet());
		workerKnown.addAll(RUNTIME_VARIABLES);
		Set<String> apiKnown = new LinkedHashSet<>(this.repository.applicationEnvironment(Service.API.module).keySet());
		assertThat(workerEnv.keySet()).isSubsetOf(workerKnown);
		assertThat(apiEnv.keySet()).isSubsetOf(apiKnown).doesNotContain("PERCHANCE_WORKER_URL");
		assertThat(URI.create((String) apiEnv.get("REDIS_URL"))).hasScheme("redis").hasHost("redis");
		assertThat(workerEnv.get("REDIS_URL")).isEqualTo(apiEnv.get("REDIS_URL"));
		assertThat(workerEnv.get("WORKER_TOKEN")).isNotNull().isEqualTo(apiEnv.get("WORKER_TOKEN"));
		assertThat(duration((String) apiEnv.get("WORKER_TIMEOUT")))
			.isEqualTo(duration(this.repository.applicationEnvironment(Service.API.module).get("WORKER_TIMEOUT")));
		// Only the gateway is published; the replicas scale, so none has a fixed name or host port.
		for (Map<String, Object> replica : List.of(worker, api)) {
			assertThat(replica).doesNotContainKeys("ports", "container_name");
		}
		assertThat(list(map(services.get("gateway")).get("ports"))).singleElement()
			.satisfies((mapping) -> assertThat(String.valueOf(mapping)).endsWith(":8080"));
		assertThat(String.valueOf(map(map(this.repository.yamlDocuments("docker/compose.yaml").get(0).get("configs"))
			.get("gateway-conf")).get("content"))).contains("server api-redis:" + defaultPort(Service.API));

		Map<String, Object> overlay = this.repository.yamlDocuments("docker/k8s-scaleout/kustomization.yaml").get(0);
		assertThat(list(overlay.get("resources"))).contains("../k8s", "redis.yaml", "worker-keda.yaml");
		String prefix = this.repository.applicationEnvironment(Service.API.module).get("REDIS_PREFIX");
		assertThat(prefix).isEqualTo(this.repository.applicationEnvironment(Service.WORKER.module).get("REDIS_PREFIX"));
		Map<String, Object> scaledObject = this.repository.yamlDocuments("docker/k8s-scaleout/worker-keda.yaml").get(0);
		Map<String, Object> trigger = map(list(map(scaledObject.get("spec")).get("triggers")).get(0));
		assertThat(trigger).containsEntry("type", "redis-streams");
		assertThat(map(trigger.get("metadata"))).containsEntry("stream", prefix + "work");
		for (String patch : List.of("api-redis-mode.yaml", "worker-redis-mode.yaml")) {
			String text = this.repository.read("docker/k8s-scaleout/" + patch);
			assertThat(text).as(patch).contains("name: REDIS_URL").contains("name: imagegen-redis");
		}
		assertThat(this.repository.read("docker/k8s-scaleout/api-redis-mode.yaml"))
			.contains("name: PERCHANCE_WORKER_URL\n              $patch: delete");
		assertThat(this.repository.read("docker/k8s-scaleout/redis.yaml")).contains("REDIS_URL: \"redis://imagegen-redis:6379\"");
	}

	@Test
	void timeoutBudgetIsNestedInTheDefaultsTheDeploymentsAndTheGuide() {
		Duration step = workerStepTimeoutDefault();
		Duration generation = duration(this.repository.applicationEnvironment(Service.WORKER.module).get("GENERATION_TIMEOUT"));
		Duration workerTimeout = duration(this.repository.applicationEnvironment(Service.API.module).get("WORKER_TIMEOUT"));

		// Each layer gives up before its caller, so the caller hears the precise reason.
		assertThat(step).isLessThan(generation);
		assertThat(generation).isLessThan(workerTimeout);

		Duration composeGeneration = duration(
				(String) map(composeService(Service.WORKER).get("environment")).get("GENERATION_TIMEOUT"));
		Duration composeWorkerTimeout = duration(
				(String) map(composeService(Service.API).get("environment")).get("WORKER_TIMEOUT"));
		assertThat(composeGeneration).isEqualTo(generation).isLessThan(composeWorkerTimeout);
		assertThat(composeWorkerTimeout).isEqualTo(workerTimeout);
		Duration k8sGeneration = duration(kubernetesEnv(kubernetesContainer(Service.WORKER)).get("GENERATION_TIMEOUT"));
		Duration k8sWorkerTimeout = duration(kubernetesEnv(kubernetesContainer(Service.API)).get("WORKER_TIMEOUT"));
		assertThat(k8sGeneration).isEqualTo(generation).isLessThan(k8sWorkerTimeout);
		assertThat(k8sWorkerTimeout).isEqualTo(workerTimeout);

		String budget = "upstream step (%d s) < GENERATION_TIMEOUT (%d s) < WORKER_TIMEOUT (%d s)".formatted(
				step.toSeconds(), generation.toSeconds(), workerTimeout.toSeconds());
		assertThat(this.repository.read("DEPLOYMENT_GUIDE.md")).contains(budget);
		assertThat(this.repository.read("docs/architecture.md")).contains(budget);
	}

	@ParameterizedTest
	@EnumSource(value = Service.class, names = { "API", "WORKER" })
	void metricsAreScrapedOnTheManagementPortNeverThePublicOne(Service service) {
		Map<String, Object> container = kubernetesContainer(service);
		String managementPort = kubernetesEnv(container).get("MANAGEMENT_PORT");
		assertThat(managementPort).as("MANAGEMENT_PORT of " + service.kubernetesName).isNotBlank();
		assertThat(managementPort).isNotEqualTo(kubernetesEnv(container).get("PORT"));
		assertThat(list(container.get("ports"))).anySatisfy((port) -> assertThat(map(port))
			.containsEntry("name", "management")
			.containsEntry("containerPort", Integer.parseInt(managementPort)));
		Map<String, Object> deployment = kubernetesObject("Deployment", service.kubernetesName);
		Map<String, Object> annotations = map(map(map(map(deployment.get("spec")).get("template")).get("metadata"))
			.get("annotations"));
		assertThat(annotations).containsEntry("prometheus.io/port", managementPort)
			.containsEntry("prometheus.io/path", "/actuator/prometheus");
		// No Service routes to the management port: it stays inside the cluster network.
		Map<String, Object> serviceObject = kubernetesObject("Service", service.kubernetesName);
		assertThat(list(map(serviceObject.get("spec")).get("ports")))
			.noneSatisfy((port) -> assertThat(String.valueOf(map(port).get("targetPort"))).isIn("management", managementPort));
		Map<String, Object> composeEnv = map(composeService(service).get("environment"));
		assertThat(composeEnv).containsEntry("MANAGEMENT_PORT", managementPort);
	}

	@Test
	void runScriptStartsTheJarsThatMavenProduces() {
		String script = this.repository.read("run.sh");
		for (Service service : Service.values()) {
			assertThat(script).contains(this.repository.runnableJar(service.module));
		}
		assertThat(script).contains("API_PORT:-" + defaultPort(Service.API))
			.contains("WORKER_PORT:-" + defaultPort(Service.WORKER))
			.contains("EMULATOR_PORT:-" + defaultPort(Service.EMULATOR));
	}

	// ---- reading the files ------------------------------------------------------------------------

	private int defaultPort(Service service) {
		if (service == Service.EMULATOR) {
			// No Spring here: the default lives next to the emulator's getenv("PORT").
			Pattern number = Pattern.compile("\\b(\\d{4,5})\\b");
			for (String source : this.repository.mainSources(service.module)) {
				int at = source.indexOf("getenv(\"PORT\")");
				if (at >= 0) {
					Matcher matcher = number.matcher(source.substring(at, Math.min(source.length(), at + 300)));
					if (matcher.find()) {
						return Integer.parseInt(matcher.group(1));
					}
				}
			}
			throw new AssertionError("No PORT default in " + service.module);
		}
		String port = this.repository.applicationEnvironment(service.module).get("PORT");
		assertThat(port).as("${PORT:default} in " + service.module + "'s application.yml").isNotBlank();
		return Integer.parseInt(port);
	}

	private Duration workerStepTimeoutDefault() {
		Pattern stepDefault = Pattern.compile("@DefaultValue\\(\"([^\"]+)\"\\)\\s+Duration\\s+stepTimeout\\b");
		for (String source : this.repository.mainSources(Service.WORKER.module)) {
			Matcher matcher = stepDefault.matcher(source);
			if (matcher.find()) {
				return duration(matcher.group(1));
			}
		}
		throw new AssertionError("No default of the worker's stepTimeout property found");
	}

	/** Spring's simple duration format as used in these files: 150s, 2m, 500ms. */
	private static Duration duration(String text) {
		assertThat(text).as("a duration").isNotBlank();
		Matcher matcher = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
		assertThat(matcher.matches()).as("simple duration: " + text).isTrue();
		long amount = Long.parseLong(matcher.group(1));
		return switch (matcher.group(2)) {
			case "ms" -> Duration.ofMillis(amount);
			case "s" -> Duration.ofSeconds(amount);
			case "m" -> Duration.ofMinutes(amount);
			default -> Duration.ofHours(amount);
		};
	}

	private String dockerfile(Service service) {
		return this.repository.read("docker/" + service.dockerfile);
	}

	private static List<String> fromImages(String dockerfile) {
		Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)").matcher(dockerfile);
		List<String> images = new ArrayList<>();
		while (from.find()) {
			images.add(from.group(1));
		}
		return images;
	}

	/** {@code ENV} names and values, continuation lines joined. */
	private static Map<String, String> dockerEnv(String dockerfile) {
		Map<String, String> env = new LinkedHashMap<>();
		Pattern assignment = Pattern.compile("([A-Z][A-Z0-9_]*)=(\"[^\"]*\"|\\S+)");
		for (String line : dockerfile.replace("\\\n", " ").split("\n")) {
			if (line.startsWith("ENV ")) {
				Matcher matcher = assignment.matcher(line.substring(4));
				while (matcher.find()) {
					env.put(matcher.group(1), matcher.group(2).replace("\"", ""));
				}
			}
		}
		return env;
	}

	private Map<String, Object> composeService(Service service) {
		Map<String, Object> compose = this.repository.yamlDocuments("docker/compose.yaml").get(0);
		Map<String, Object> services = map(compose.get("services"));
		assertThat(services).containsKey(service.composeName);
		return map(services.get(service.composeName));
	}

	private static String healthcheckUrl(Map<String, Object> composeService) {
		List<Object> test = list(map(composeService.get("healthcheck")).get("test"));
		return test.stream()
			.map(String::valueOf)
			.filter((arg) -> arg.startsWith("http://"))
			.findFirst()
			.orElseThrow(() -> new AssertionError("No URL in healthcheck " + test));
	}

	private Map<String, Object> kubernetesObject(String kind, String name) {
		List<Map<String, Object>> matches = new ArrayList<>();
		try (Stream<Path> files = Files.list(this.repository.path("docker/k8s"))) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".yaml")).sorted().toList()) {
				for (Map<String, Object> document : this.repository
					.yamlDocuments("docker/k8s/" + file.getFileName())) {
					if (kind.equals(document.get("kind"))
							&& (name == null || name.equals(map(document.get("metadata")).get("name")))) {
						matches.add(document);
					}
				}
			}
		}
		catch (IOException ex) {
			throw new AssertionError(ex);
		}
		assertThat(matches).as(kind + " " + name + " in docker/k8s").hasSize(1);
		return matches.get(0);
	}

	private Map<String, Object> kubernetesContainer(Service service) {
		Map<String, Object> deployment = kubernetesObject("Deployment", service.kubernetesName);
		List<Object> containers = list(map(map(map(deployment.get("spec")).get("template")).get("spec")).get("containers"));
		assertThat(containers).hasSize(1);
		Map<String, Object> container = map(containers.get(0));
		assertThat((String) container.get("image")).isEqualTo(service.kubernetesName);
		return container;
	}

	private static Map<String, String> kubernetesEnv(Map<String, Object> container) {
		Map<String, String> env = new LinkedHashMap<>();
		for (Object entry : list(container.get("env"))) {
			Map<String, Object> variable = map(entry);
			env.put((String) variable.get("name"), (String) variable.get("value"));
		}
		return env;
	}

	private static Map<String, Object> kubernetesEnvSource(Map<String, Object> container, String name) {
		for (Object entry : list(container.get("env"))) {
			Map<String, Object> variable = map(entry);
			if (name.equals(variable.get("name"))) {
				return map(map(variable.get("valueFrom")).get("secretKeyRef"));
			}
		}
		throw new AssertionError("No " + name + " in " + container.get("name"));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		assertThat(value).isInstanceOf(Map.class);
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Object value) {
		assertThat(value).isInstanceOf(List.class);
		return (List<Object>) value;
	}

}
