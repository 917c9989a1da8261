package dev.imagegen.worker.web;

import org.apache.catalina.core.StandardHost;

import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tomcat's own error reports become problem+json ({@link ProblemErrorReportValve}). The connection limits
 * ({@code HEADER_TIMEOUT}, {@code IDLE_TIMEOUT}, header sizes) are plain Boot properties in
 * {@code application.yml}.
 */
@Configuration(proxyBeanMethods = false)
class TomcatConfig {

	@Bean
	TomcatContextCustomizer problemErrorReports() {
		return (context) -> {
			if (context.getParent() instanceof StandardHost host) {
				// The host adds its error report valve when it starts: name ours so it adds no other.
				host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
			}
		};
	}

}
