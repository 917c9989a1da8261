package dev.imagegen.api.server;

import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose request head is not complete within {@code HEADER_TIMEOUT}. Reactor Netty's
 * {@code idleTimeout} restarts with every byte, so a client trickling a head byte by byte (or sending only
 * {@code \r\n}, which the decoder skips) would otherwise hold the connection for ever.
 * <p>
 * The clock starts when the connection opens and, on a kept-alive connection, at the first byte after the
 * previous response; it stops when the HTTP decoder has read a whole head. Two handlers share this state:
 * {@link #bytes()} sits before the HTTP codec and sees raw bytes, {@link #messages()} sits after it and
 * sees decoded requests and the end of each response. Both run on the channel's event loop, so the state
 * needs no locking. One instance per connection.
 */
final class HeaderTimeout {

	private static final Logger logger = LoggerFactory.getLogger(HeaderTimeout.class);

	private final long timeoutNanos;

	/** Requests whose head was read and whose response has not been fully written. */
	private int open;

	/** Whether a head is being waited for since the connection opened or since its first byte. */
	private ScheduledFuture<?> timer;

	HeaderTimeout(long timeoutNanos) {
		this.timeoutNanos = timeoutNanos;
	}

	/** The handler to place before the HTTP codec. */
	ChannelInboundHandlerAdapter bytes() {
		return new ChannelInboundHandlerAdapter() {

			@Override
			public void handlerAdded(ChannelHandlerContext ctx) {
				if (ctx.channel().isActive()) {
					arm(ctx);
				}
			}

			@Override
			public void channelActive(ChannelHandlerContext ctx) {
				arm(ctx);
				ctx.fireChannelActive();
			}

			@Override
			public void channelRead(ChannelHandlerContext ctx, Object msg) {
				if (HeaderTimeout.this.open == 0 && msg instanceof ByteBuf buffer && buffer.isReadable()) {
					arm(ctx);
				}
				ctx.fireChannelRead(msg);
			}

			@Override
			public void channelInactive(ChannelHandlerContext ctx) {
				disarm();
				ctx.fireChannelInactive();
			}

		};
	}

	/** The handler to place after the HTTP codec. */
	ChannelDuplexHandler messages() {
		return new ChannelDuplexHandler() {

			@Override
			public void channelRead(ChannelHandlerContext ctx, Object msg) {
				if (msg instanceof HttpRequest) {
					HeaderTimeout.this.open++;
					disarm();
				}
				ctx.fireChannelRead(msg);
			}

			@Override
			public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
				if (msg instanceof LastHttpContent) {
					ChannelPromise completion = promise.unvoid();
					completion.addListener((future) -> HeaderTimeout.this.open = Math.max(0, HeaderTimeout.this.open - 1));
					ctx.write(msg, completion);
					return;
				}
				ctx.write(msg, promise);
			}

		};
	}

	private void arm(ChannelHandlerContext ctx) {
		if (this.timer != null) {
			return;
		}
		this.timer = ctx.executor().schedule(() -> {
			this.timer = null;
			if (this.open == 0 && ctx.channel().isActive()) {
				logger.debug("Closing {}: no complete request head within {} ms", ctx.channel().remoteAddress(),
						TimeUnit.NANOSECONDS.toMillis(this.timeoutNanos));
				ctx.channel().close();
			}
		}, this.timeoutNanos, TimeUnit.NANOSECONDS);
	}

	private void disarm() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

}
