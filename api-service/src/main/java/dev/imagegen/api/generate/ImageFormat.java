package dev.imagegen.api.generate;

import java.util.Locale;

import org.springframework.http.MediaType;

/**
 * The image encodings the API offers.
 */
public enum ImageFormat {

	/** PNG, the default. */
	PNG(MediaType.IMAGE_PNG, "png"),
	/** JPEG. */
	JPEG(MediaType.IMAGE_JPEG, "jpg");

	private final MediaType mediaType;

	private final String extension;

	ImageFormat(MediaType mediaType, String extension) {
		this.mediaType = mediaType;
		this.extension = extension;
	}

	/** The lower-case name used on the wire. */
	public String wireName() {
		return name().toLowerCase(Locale.ROOT);
	}

	public MediaType mediaType() {
		return this.mediaType;
	}

	public String extension() {
		return this.extension;
	}

	/** Case-insensitive lookup; {@code null} when the value names no format. */
	public static ImageFormat parse(String value) {
		for (ImageFormat format : values()) {
			if (format.name().equalsIgnoreCase(value)) {
				return format;
			}
		}
		return null;
	}

}
