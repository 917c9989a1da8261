package dev.imagegen.api.server;

import io.netty.channel.ChannelPipeline;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;

/**
 * Bounds what one connection may cost the public server: {@code IDLE_TIMEOUT} closes a kept-alive
 * connection that sends no next request, {@link HeaderTimeout} closes one that does not complete its
 * request head within {@code HEADER_TIMEOUT}, and {@link MalformedRequestHandler} answers what the HTTP
 * decoder or Spring cannot read with a problem instead of a bare status. Request-line and header sizes
 * are bounded by {@code server.netty.max-initial-line-length} and
 * {@code server.max-http-request-header-size} (see {@code application.yml}).
 */
@Component
class HttpServerHardening implements NettyServerCustomizer {

	private final HttpServerProperties properties;

	private final JsonMapper jsonMapper;

	HttpServerHardening(HttpServerProperties properties, JsonMapper jsonMapper) {
		this.properties = properties;
		this.jsonMapper = jsonMapper;
	}

	@Override
	public HttpServer apply(HttpServer server) {
		long headerTimeoutNanos = this.properties.headerTimeout().toNanos();
		return server.idleTimeout(this.properties.idleTimeout()).doOnChannelInit((observer, channel, address) -> {
			ChannelPipeline pipeline = channel.pipeline();
			if (pipeline.get(NettyPipeline.HttpCodec) == null) {
				// Not a plain HTTP/1.1 connection (no other kind is configured): leave it as Reactor Netty built it.
				return;
			}
			HeaderTimeout timeout = new HeaderTimeout(headerTimeoutNanos);
			pipeline.addBefore(NettyPipeline.HttpCodec, "imagegen.headerTimeout.bytes", timeout.bytes());
			pipeline.addAfter(NettyPipeline.HttpCodec, "imagegen.headerTimeout.messages", timeout.messages());
			pipeline.addAfter("imagegen.headerTimeout.messages", "imagegen.malformedRequests",
					new MalformedRequestHandler(this.jsonMapper));
		});
	}

}
