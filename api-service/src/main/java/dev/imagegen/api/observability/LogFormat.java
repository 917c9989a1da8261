package dev.imagegen.api.observability;

/**
 * How the service writes its console log ({@code LOG_FORMAT}).
 */
public enum LogFormat {

	/** Spring Boot's human-readable lines (the default). */
	TEXT,

	/** One Elastic Common Schema JSON object per line (Spring Boot's structured logging). */
	JSON

}
