package dev.imagegen.worker.job;

/**
 * Output formats a caller may ask for.
 */
public enum ImageFormat {

	/** PNG, transcoded from the upstream image. */
	PNG("image/png", "png"),
	/** JPEG, the upstream bytes untouched when upstream sent JPEG. */
	JPEG("image/jpeg", "jpeg");

	private final String mediaType;

	private final String imageIoName;

	ImageFormat(String mediaType, String imageIoName) {
		this.mediaType = mediaType;
		this.imageIoName = imageIoName;
	}

	/**
	 * The media type of the response.
	 * @return e.g. {@code image/png}
	 */
	public String mediaType() {
		return this.mediaType;
	}

	/**
	 * The ImageIO writer format name.
	 * @return e.g. {@code png}
	 */
	public String imageIoName() {
		return this.imageIoName;
	}

}
