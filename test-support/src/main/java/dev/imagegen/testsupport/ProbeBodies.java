package dev.imagegen.testsupport;

import java.util.HashSet;
import java.util.Set;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks a health probe's answer ({@code /livez}, {@code /readyz}) against the OpenAPI document that describes it,
 * the same way for both services: the media type answered is documented for the status, the status value is one
 * of the documented ones, the expected group member is there, and every member of the body is documented.
 */
public final class ProbeBodies {

	private ProbeBodies() {
	}

	/**
	 * @param paths the document's {@code paths}
	 * @param path the probe's path
	 * @param status the HTTP status answered
	 * @param mediaType the media type answered, without parameters (e.g. {@code application/json})
	 * @param body the answer's body
	 * @param health the health status the body must have ({@code UP}, {@code DOWN}, ...)
	 * @param member a member of the group the body must list
	 * @param what names the request in failure messages
	 */
	public static void assertDocumented(JsonNode paths, String path, int status, String mediaType, JsonNode body,
			String health, String member, String what) {
		JsonNode schema = paths.path(path).path("get").path("responses").path(Integer.toString(status)).path("content")
			.path(mediaType).path("schema");
		assertThat(schema.isMissingNode()).as(what + " answered " + mediaType + ", which is documented").isFalse();
		assertThat(body.path("status").asString()).as(what).isEqualTo(health);
		assertThat(schema.path("properties").path("status").path("enum").toString()).as(what).contains(health);
		assertThat(body.path("components").has(member)).as(what).isTrue();
		Set<String> documented = new HashSet<>();
		schema.path("properties").propertyNames().forEach(documented::add);
		assertThat(documented).as(what).containsAll(body.propertyNames());
	}

}
