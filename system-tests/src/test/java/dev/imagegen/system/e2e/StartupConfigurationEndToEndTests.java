package dev.imagegen.system.e2e;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration contract as an operator meets it, with the packaged jars: a malformed environment
 * variable stops a service at start-up with a message that names the variable, while a missing
 * {@code PERCHANCE_WORKER_URL} does not stop the API — it starts, says DOWN and explains what to set.
 */
class StartupConfigurationEndToEndTests {

	private final List<ServiceProcess> processes = new ArrayList<>();

	@AfterEach
	void stopProcesses() {
		this.processes.forEach(ServiceProcess::stop);
	}

	@Test
	void apiWithoutAWorkerUrlStartsReportsDownAndSaysWhatToSet() {
		int port = ImagegenSystem.freePorts(1)[0];
		ServiceProcess api = track(new ServiceProcess("api-without-worker", ImagegenSystem.jar("api-service", ""), port,
				Map.of("PORT", String.valueOf(port), "SERVER_ADDRESS", "127.0.0.1"), ImagegenSystem.logs("startup"),
				"/actuator/health/liveness"));
		api.start(Duration.ofSeconds(90));
		ApiClient client = new ApiClient(api.baseUrl());

		HttpResponse<byte[]> health = client.get("/health", Duration.ofSeconds(10));
		HttpResponse<byte[]> generate = client.generate(Map.of("prompt", "a red fox"), Duration.ofSeconds(10));

		assertThat(health.statusCode()).as(() -> ApiClient.text(health)).isEqualTo(503);
		assertThat(ApiClient.json(health).path("status").asString()).isEqualTo("DOWN");
		assertThat(generate.statusCode()).as(() -> ApiClient.text(generate)).isEqualTo(503);
		assertThat(generate.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		JsonNode problem = ApiClient.json(generate);
		assertThat(problem.path("detail").asString()).contains("PERCHANCE_WORKER_URL");
		assertThat(generate.headers().firstValue("Retry-After")).isPresent();
	}

	@ParameterizedTest(name = "{0} with {1}={2}")
	@CsvSource(delimiter = '|', value = {
			"api-service    | WORKER_TIMEOUT       | -5s",
			"api-service    | PERCHANCE_WORKER_URL | not a url",
			"api-service    | MAX_PROMPT_LENGTH    | lots",
			"worker-service | GENERATION_TIMEOUT   | -1s",
			"worker-service | PERCHANCE_BASE_URL   | ftp://perchance.example",
			"worker-service | WORKER_SESSIONS      | 0",
			"api-service    | LOG_FORMAT           | xml",
			"worker-service | LOG_FORMAT           | xml",
			"api-service    | OTEL_EXPORTER_OTLP_ENDPOINT | ftp://collector" })
	void malformedValueStopsTheServiceAndNamesTheVariable(String module, String variable, String value) {
		int port = ImagegenSystem.freePorts(1)[0];
		ServiceProcess service = track(new ServiceProcess(module + "-" + variable, ImagegenSystem.jar(module, ""), port,
				Map.of("PORT", String.valueOf(port), "SERVER_ADDRESS", "127.0.0.1", variable, value),
				ImagegenSystem.logs("startup"), "/actuator/health/liveness"));

		service.launch();
		int exitCode = service.awaitExit(Duration.ofSeconds(90));

		assertThat(exitCode).as(service::logTail).isNotZero();
		assertThat(service.log()).as(service::logTail).contains(variable);
	}

	private ServiceProcess track(ServiceProcess process) {
		this.processes.add(process);
		return process;
	}

}
