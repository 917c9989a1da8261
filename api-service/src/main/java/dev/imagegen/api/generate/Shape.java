package dev.imagegen.api.generate;

import java.util.Locale;

/**
 * The image shapes the API offers; the worker renders them at the sizes given below.
 */
public enum Shape {

	/** 512x768. */
	PORTRAIT,
	/** 768x512. */
	LANDSCAPE,
	/** 768x768, the default. */
	SQUARE;

	/** The lower-case name used on the wire, in the public API and towards the worker. */
	public String wireName() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** Case-insensitive lookup; {@code null} when the value names no shape. */
	public static Shape parse(String value) {
		for (Shape shape : values()) {
			if (shape.name().equalsIgnoreCase(value)) {
				return shape;
			}
		}
		return null;
	}

}
