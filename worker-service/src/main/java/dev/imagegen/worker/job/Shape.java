package dev.imagegen.worker.job;

/**
 * Image shapes and the upstream resolution of each.
 */
public enum Shape {

	/** 512x768. */
	PORTRAIT(512, 768),
	/** 768x512. */
	LANDSCAPE(768, 512),
	/** 768x768. */
	SQUARE(768, 768);

	private final int width;

	private final int height;

	Shape(int width, int height) {
		this.width = width;
		this.height = height;
	}

	/**
	 * Width in pixels.
	 * @return the width
	 */
	public int width() {
		return this.width;
	}

	/**
	 * Height in pixels.
	 * @return the height
	 */
	public int height() {
		return this.height;
	}

	/**
	 * The {@code resolution} field Perchance expects.
	 * @return e.g. {@code 512x768}
	 */
	public String resolution() {
		return this.width + "x" + this.height;
	}

}
