package dev.imagegen.api.generate;

import java.util.Locale;

/**
 * The image shapes the API offers, with their pixel sizes.
 */
enum Shape {

	/** 512x768. */
	PORTRAIT(512, 768),
	/** 768x512. */
	LANDSCAPE(768, 512),
	/** 768x768, the default. */
	SQUARE(768, 768);

	private final int width;

	private final int height;

	Shape(int width, int height) {
		this.width = width;
		this.height = height;
	}

	/** The lower-case name used on the wire, in the public API and towards the worker. */
	String wireName() {
		return name().toLowerCase(Locale.ROOT);
	}

	int width() {
		return this.width;
	}

	int height() {
		return this.height;
	}

	/** Case-insensitive lookup; {@code null} when the value names no shape. */
	static Shape parse(String value) {
		for (Shape shape : values()) {
			if (shape.name().equalsIgnoreCase(value)) {
				return shape;
			}
		}
		return null;
	}

}
