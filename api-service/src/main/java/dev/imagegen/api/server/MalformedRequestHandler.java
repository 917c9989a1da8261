package dev.imagegen.api.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ProblemTypes;

/**
 * Answers, with an RFC 9457 problem, the requests that never reach Spring: a request line or header
 * block too long for the decoder ({@code 414}, {@code 431}), a head the decoder cannot read ({@code 400}),
 * and a target Spring cannot turn into a {@code java.net.URI} (a raw {@code <}, {@code "}, {@code |},
 * a broken percent escape...), for which Spring would send a bare {@code 400} without body. The
 * connection is closed after the answer: the rest of what the client sent cannot be trusted to frame
 * the next request. Sits after the HTTP codec, before Reactor Netty's own handling; one per connection.
 */
final class MalformedRequestHandler extends ChannelInboundHandlerAdapter {

	private static final Logger logger = LoggerFactory.getLogger(MalformedRequestHandler.class);

	/** A path safe to echo as the problem's {@code instance}; anything else is reported as {@code /}. */
	private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,255}");

	private final JsonMapper jsonMapper;

	private boolean rejected;

	MalformedRequestHandler(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (this.rejected) {
			ReferenceCountUtil.release(msg);
			return;
		}
		if (msg instanceof HttpRequest request) {
			Answer answer = check(request);
			if (answer != null) {
				this.rejected = true;
				ReferenceCountUtil.release(msg);
				if (ctx.channel().isActive()) {
					// Not when the decoder reports the client's own close in the middle of a head.
					reject(ctx, request, answer);
				}
				return;
			}
		}
		ctx.fireChannelRead(msg);
	}

	private static Answer check(HttpRequest request) {
		DecoderResult result = request.decoderResult();
		if (result.isFailure()) {
			Throwable cause = result.cause();
			if (cause instanceof TooLongHttpLineException) {
				return new Answer(HttpResponseStatus.REQUEST_URI_TOO_LONG, ProblemTypes.URI_TOO_LONG, "URI too long",
						"The request line is longer than this API accepts. Send long prompts with POST /generate "
								+ "and a JSON body.");
			}
			if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
				return new Answer(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, ProblemTypes.HEADERS_TOO_LARGE,
						"Request header fields too large", "The request headers are larger than this API accepts.");
			}
			return new Answer(HttpResponseStatus.BAD_REQUEST, ProblemTypes.BAD_REQUEST, "Bad Request",
					"The request head is not valid HTTP/1.1.");
		}
		if (!parsableTarget(request.uri())) {
			return new Answer(HttpResponseStatus.BAD_REQUEST, ProblemTypes.BAD_REQUEST, "Bad Request",
					"The request target is not a valid URI: characters such as < > \" { } | \\ ^ ` and spaces must be "
							+ "percent-encoded, and every % must start an escape of two hex digits (e.g. %20).");
		}
		String host = request.headers().get(HttpHeaderNames.HOST);
		if (host != null && !host.isEmpty() && !parsableHost(host)) {
			return new Answer(HttpResponseStatus.BAD_REQUEST, ProblemTypes.BAD_REQUEST, "Bad Request",
					"The Host header is not a valid host name or address.");
		}
		return null;
	}

	/** The same test Spring applies when it builds the request's URI (it sends a bare 400 when it fails). */
	private static boolean parsableTarget(String target) {
		String path = target;
		int scheme = target.indexOf("://");
		if (scheme > 0 && target.indexOf('/') > scheme) {
			int slash = target.indexOf('/', scheme + 3);
			path = (slash >= 0) ? target.substring(slash) : "/";
		}
		try {
			new URI("http://localhost" + (path.startsWith("/") ? path : "/" + path));
			return true;
		}
		catch (URISyntaxException ex) {
			return false;
		}
	}

	private static boolean parsableHost(String host) {
		try {
			URI uri = new URI("http://" + host + "/");
			return uri.getHost() != null;
		}
		catch (URISyntaxException ex) {
			return false;
		}
	}

	private void reject(ChannelHandlerContext ctx, HttpRequest request, Answer answer) {
		String requestId = UUID.randomUUID().toString();
		String target = request.uri();
		int query = target.indexOf('?');
		String path = (query >= 0) ? target.substring(0, query) : target;
		logger.info("requestId={} rejected before routing: status={} problem={} cause={}", requestId,
				answer.status().code(), ProblemTypes.shortName(answer.type()),
				request.decoderResult().isFailure() ? request.decoderResult().cause().getClass().getSimpleName()
						: "invalid-uri");
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", answer.type());
		body.put("title", answer.title());
		body.put("status", answer.status().code());
		body.put("detail", answer.detail());
		body.put("instance", SAFE_PATH.matcher(path).matches() ? path : "/");
		body.put("requestId", requestId);
		byte[] bytes = this.jsonMapper.writeValueAsBytes(body);
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
				Unpooled.wrappedBuffer(bytes));
		response.headers()
			.set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
			.set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
			.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
			.set(HttpHeaderNames.CACHE_CONTROL, "no-store")
			.set("X-Content-Type-Options", "nosniff")
			.set("X-Request-Id", requestId);
		ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
	}

	private record Answer(HttpResponseStatus status, String type, String title, String detail) {
	}

}
