package dev.imagegen.api.web;

import java.util.Set;

import dev.imagegen.api.config.ApiProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;

/**
 * The server side of the public page ({@code static/index.html} with {@code app.js} and {@code app.css}):
 * the page's {@code Content-Security-Policy}, and {@code /page-config.json}, which hands the page's script
 * the API settings its form must follow, so that no limit is written twice.
 */
@Configuration(proxyBeanMethods = false)
class PageConfiguration {

	/**
	 * Nothing but this origin's own script, style and connections, plus the {@code blob:} URL of the generated
	 * image; no framing, no foreign form targets, no {@code <base>} tricks. The page has no inline script,
	 * style or handler, so none needs allowing.
	 */
	static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
			+ "img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
			+ "frame-ancestors 'none'";

	/** The paths that answer with the page's HTML; other resources need no policy of their own. */
	private static final Set<String> PAGE_PATHS = Set.of("/", "/index.html");

	/**
	 * {@code GET /page-config.json}: the settings the page's form must follow.
	 * @param properties the API settings
	 * @return the route
	 */
	@Bean
	RouterFunction<ServerResponse> pageConfigRoute(ApiProperties properties) {
		PageSettings settings = new PageSettings(properties.maxPromptLength());
		return RouterFunctions.route(RequestPredicates.GET("/page-config.json"),
				(request) -> ServerResponse.ok()
					.contentType(MediaType.APPLICATION_JSON)
					// Settings change only with a restart, but a restart must reach open tabs on reload.
					.cacheControl(CacheControl.noCache())
					.bodyValue(settings));
	}

	/**
	 * Adds the page's {@code Content-Security-Policy} to the answers of {@link #PAGE_PATHS}.
	 * @return the filter
	 */
	@Bean
	WebFilter pageContentSecurityPolicy() {
		return (exchange, chain) -> {
			if (PAGE_PATHS.contains(exchange.getRequest().getPath().pathWithinApplication().value())) {
				exchange.getResponse().getHeaders().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
			}
			return chain.filter(exchange);
		};
	}

	/**
	 * The body of {@code /page-config.json}.
	 *
	 * @param maxPromptLength the most characters a prompt or negative prompt may have ({@code MAX_PROMPT_LENGTH})
	 */
	record PageSettings(int maxPromptLength) {
	}

}
