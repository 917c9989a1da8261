package dev.imagegen.api;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Entry point of the public image-generation API: validates requests, forwards them to a worker and
 * turns every outcome into an image or an RFC 9457 problem.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ApiApplication {

	/**
	 * Starts the API.
	 * @param args command-line arguments, passed on to Spring Boot
	 */
	public static void main(String[] args) {
		SpringApplication.run(ApiApplication.class, args);
	}

}
