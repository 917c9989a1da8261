package dev.imagegen.worker.generate;

import java.lang.reflect.Field;
import java.util.function.BooleanSupplier;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.catalina.connector.RequestFacade;
import org.apache.coyote.ActionCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether the caller of a waiting async request is still connected. The Servlet API has no such call and
 * Tomcat (11.0.22) does not report a client that disconnects while an async request waits, so this asks
 * Tomcat's connector for a non-blocking read: a client that waits for its answer sends nothing (0 bytes), a
 * closed connection reads end-of-stream. Outside Tomcat it always answers "connected", and the job simply runs.
 * Only called while the request is still pending (see {@code Job#callerGone}).
 */
final class CallerProbe {

	private static final Logger log = LoggerFactory.getLogger(CallerProbe.class);

	private static final Field FACADE_REQUEST = facadeField();

	private CallerProbe() {
	}

	static BooleanSupplier of(HttpServletRequest request) {
		ServletRequest unwrapped = request;
		while (unwrapped instanceof ServletRequestWrapper wrapper) {
			unwrapped = wrapper.getRequest();
		}
		if (FACADE_REQUEST == null || !(unwrapped instanceof RequestFacade facade)) {
			return () -> true;
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
			log.debug("Cannot probe the caller's connection: {}", ex.toString());
			return () -> true;
		}
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
