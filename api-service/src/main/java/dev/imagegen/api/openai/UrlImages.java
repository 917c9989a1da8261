package dev.imagegen.api.openai;

import reactor.core.publisher.Mono;

import dev.imagegen.api.generate.ImageGenerator;

/**
 * The images behind {@code response_format=url}, by name. On one box they are this replica's
 * {@link UrlImageStore}; in the Redis mode ({@code REDIS_URL}) a shared tier sits behind it
 * ({@link SharedUrlImages}), so that any replica serves any URL. Reactive because the shared tier is a network
 * call and the callers run on the event loop.
 */
interface UrlImages {

	/**
	 * Keeps an image for {@link UrlImageStore#LIFETIME} under a new unguessable name.
	 * @param image the generated image
	 * @return its name, once it can be served; an error when it cannot be kept (Redis mode: Redis failed)
	 */
	Mono<String> keep(ImageGenerator.Generated image);

	/**
	 * @param name a name from {@link #keep}, possibly not one at all
	 * @return the image while it is kept, empty otherwise; an error when it cannot be told (Redis mode: Redis
	 * failed)
	 */
	Mono<UrlImage> find(String name);

}
