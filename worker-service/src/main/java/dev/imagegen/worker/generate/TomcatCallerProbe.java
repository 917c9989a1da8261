package dev.imagegen.worker.generate;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.catalina.connector.RequestFacade;
import org.apache.coyote.ActionCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.imagegen.worker.job.CallerProbe;

/**
 * {@link CallerProbe} on Tomcat. Tomcat (11.0.x) does not report a client that disconnects while an async
 * request waits, so this asks Tomcat's connector for a non-blocking read: a client that waits for its answer
 * sends nothing (0 bytes), a closed connection reads end-of-stream. It needs Tomcat's internal request behind
 * the facade (reflection); where that is not possible it falls back to "always connected" and warns once, so
 * an operator knows that jobs of vanished callers then run to completion.
 */
final class TomcatCallerProbe {

	private static final Logger log = LoggerFactory.getLogger(TomcatCallerProbe.class);

	private static final Field FACADE_REQUEST = facadeField();

	private static final AtomicBoolean WARNED = new AtomicBoolean();

	private TomcatCallerProbe() {
	}

	static CallerProbe of(HttpServletRequest request) {
		ServletRequest unwrapped = request;
		while (unwrapped instanceof ServletRequestWrapper wrapper) {
			unwrapped = wrapper.getRequest();
		}
		if (FACADE_REQUEST == null || !(unwrapped instanceof RequestFacade facade)) {
			return fallback("the request is not Tomcat's (" + unwrapped.getClass().getName() + ")");
		}
		try {
			org.apache.catalina.connector.Request connectorRequest = (org.apache.catalina.connector.Request) FACADE_REQUEST
				.get(facade);
			org.apache.coyote.Request coyote = connectorRequest.getCoyoteRequest();
			return () -> {
				coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
				// Tomcat reports a failed read (end of stream) as "1 byte available" so that the next read fails.
				return coyote.getAvailable() <= 0;
			};
		}
		catch (IllegalAccessException | RuntimeException ex) {
			return fallback(ex.toString());
		}
	}

	private static CallerProbe fallback(String why) {
		if (WARNED.compareAndSet(false, true)) {
			log.warn("Cannot watch callers' connections ({}): a job whose caller disconnects keeps running until it "
					+ "ends or reaches its deadline", why);
		}
		return CallerProbe.ALWAYS_CONNECTED;
	}

	private static Field facadeField() {
		try {
			Field field = RequestFacade.class.getDeclaredField("request");
			field.setAccessible(true);
			return field;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

}
