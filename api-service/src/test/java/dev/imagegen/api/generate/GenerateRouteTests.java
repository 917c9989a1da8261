package dev.imagegen.api.generate;

import java.lang.reflect.Method;

import org.junit.jupiter.api.Test;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /generate} has two descriptions: the route's own mapping (what serves it) and the controller's
 * {@code @GetMapping} (what springdoc documents, and what {@code HEAD} and the {@code Allow} of a {@code 405} come
 * from). They must name the same path.
 */
class GenerateRouteTests {

	@Test
	void theRoutesMappingAndTheControllersGetMappingNameTheSamePath() throws NoSuchMethodException {
		Method get = GenerateController.class.getDeclaredMethod("get", ServerWebExchange.class);
		GetMapping annotation = get.getAnnotation(GetMapping.class);
		assertThat(annotation).isNotNull();
		String[] paths = (annotation.value().length > 0) ? annotation.value() : annotation.path();
		assertThat(paths).containsExactly(GenerateRoute.PATH.getPatternString());
	}

}
