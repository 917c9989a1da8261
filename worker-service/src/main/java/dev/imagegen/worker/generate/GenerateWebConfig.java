package dev.imagegen.worker.generate;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import dev.imagegen.worker.config.WorkerProperties;

/**
 * Puts the bearer-token check in front of {@code /generate} and {@code /progress/{requestId}} only; {@code /health} and the actuator stay open.
 */
@Configuration(proxyBeanMethods = false)
class GenerateWebConfig implements WebMvcConfigurer {

	private final TokenInterceptor tokenInterceptor;

	GenerateWebConfig(WorkerProperties properties) {
		this.tokenInterceptor = new TokenInterceptor(properties.token());
	}

	@Override
	public void addInterceptors(InterceptorRegistry registry) {
		registry.addInterceptor(this.tokenInterceptor).addPathPatterns("/generate", "/generate/**", "/progress", "/progress/**");
	}

}
