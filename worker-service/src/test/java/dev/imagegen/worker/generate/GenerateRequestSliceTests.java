package dev.imagegen.worker.generate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.progress.ProgressBoard;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Parsing and the bearer token of {@code POST /generate} as an MVC slice: no browser, no server. Bad input and a
 * wrong token never reach the session pool. (The success paths stay in the real-Chromium tests.)
 */
@WebMvcTest(controllers = GenerateController.class)
@TestPropertySource(properties = "imagegen.worker.token=s3cret-token")
class GenerateRequestSliceTests {

	private static final String TOKEN = "Bearer s3cret-token";

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private SessionPool pool;

	@MockitoBean
	private GenerationMetrics metrics;

	@MockitoBean
	private ProgressBoard progress;

	@ParameterizedTest
	@CsvSource(delimiter = '|', value = {
			"{\"prompt\":\"a\",\"colour\":\"red\"}|colour",
			"{\"prompt\":\"   \"}|prompt",
			"{\"negative_prompt\":\"x\"}|prompt",
			"{\"prompt\":42}|prompt",
			"{\"prompt\":\"a\",\"seed\":-2}|seed",
			"{\"prompt\":\"a\",\"seed\":2147483648}|seed",
			"{\"prompt\":\"a\",\"seed\":1.5}|seed",
			"{\"prompt\":\"a\",\"guidance_scale\":0.5}|guidance_scale",
			"{\"prompt\":\"a\",\"guidance_scale\":30.5}|guidance_scale",
			"{\"prompt\":\"a\",\"guidance_scale\":\"high\"}|guidance_scale",
			"{\"prompt\":\"a\",\"shape\":\"circle\"}|shape",
			"{\"prompt\":\"a\",\"format\":\"gif\"}|format",
			"{\"prompt\":\"a\",\"seed\":1,\"seed\":2}|seed" })
	void invalidFieldsAreNamed(String body, String field) throws Exception {
		this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
			.header("Authorization", TOKEN)
			.header("X-Request-Id", "bad-1")
			.content(body))
			.andExpect(status().isBadRequest())
			.andExpect(header().string("Content-Type", "application/problem+json"))
			.andExpect(jsonPath("$.type").value("https://imagegen.dev/problems/invalid-request"))
			.andExpect(jsonPath("$.errors[*].parameter").value(org.hamcrest.Matchers.hasItem(field)))
			.andExpect(jsonPath("$.requestId").value("bad-1"))
			.andExpect(jsonPath("$.instance").value("/generate"))
			.andExpect(header().string("X-Request-Id", "bad-1"));
		verifyNoInteractions(this.pool);
	}

	@Test
	void anOverlongPromptIsRejected() throws Exception {
		this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
			.header("Authorization", TOKEN)
			.content("{\"prompt\":\"" + "x".repeat(1001) + "\"}"))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].parameter").value("prompt"));
		verifyNoInteractions(this.pool);
	}

	@Test
	void bodiesThatAreNotJsonObjectsAreRejected() throws Exception {
		for (String body : new String[] { "not json", "[1,2]", "" }) {
			this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Authorization", TOKEN).content(body))
				.andExpect(status().isBadRequest())
				.andExpect(jsonPath("$.type").value("https://imagegen.dev/problems/invalid-request"));
		}
		verifyNoInteractions(this.pool);
	}

	@Test
	void aMissingOrWrongTokenIsUnauthorized() throws Exception {
		String body = "{\"prompt\":\"a fox\"}";
		this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(body))
			.andExpect(status().isUnauthorized())
			.andExpect(header().string("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer")))
			.andExpect(jsonPath("$.type").value("https://imagegen.dev/problems/unauthorized"));
		for (String wrong : new String[] { "Bearer nope", "Basic s3cret-token" }) {
			this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Authorization", wrong).content(body))
				.andExpect(status().isUnauthorized());
		}
		verifyNoInteractions(this.pool);
	}

	@Test
	void theRightTokenReachesThePool() throws Exception {
		given(this.pool.submit(any(), any(), any(), any(), any()))
			.willThrow(new WorkerException(Problem.QUEUE_FULL, "full", java.time.Duration.ofSeconds(2)));

		this.mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
			.header("Authorization", TOKEN)
			.content("{\"prompt\":\"a fox\"}"))
			.andExpect(status().isServiceUnavailable())
			.andExpect(header().string("Retry-After", "2"));
	}

	@TestConfiguration(proxyBeanMethods = false)
	@EnableConfigurationProperties(WorkerProperties.class)
	@Import(Generations.class)
	static class Properties {

	}

}
