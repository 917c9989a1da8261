package dev.imagegen.worker.web;

import java.io.IOException;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.ProblemWriter;

/**
 * The {@code /error} page: whatever reached Tomcat's error handling inside the application (an error status
 * set outside Spring MVC, an exception thrown by a filter) is answered as problem+json, never as Boot's JSON or
 * Tomcat's HTML. Failures Tomcat rejects before the application sees them are answered by
 * {@link ProblemErrorReportValve}.
 */
@RestController
class ProblemErrorController implements ErrorController {

	private static final Logger log = LoggerFactory.getLogger(ProblemErrorController.class);

	@RequestMapping("${server.error.path:${error.path:/error}}")
	void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
		Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
		HttpStatus status = HttpStatus.resolve((code instanceof Integer i) ? i : 500);
		if (status == null || !status.isError()) {
			status = HttpStatus.INTERNAL_SERVER_ERROR;
		}
		if (response.isCommitted()) {
			return;
		}
		response.resetBuffer();
		if (status.is5xxServerError()) {
			Object failure = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
			log.error("Unexpected failure on {}", request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI),
					(failure instanceof Throwable t) ? t : null);
			ProblemWriter.write(request, response, Problem.INTERNAL_ERROR, "The worker failed unexpectedly; see its log.",
					java.util.List.of());
			return;
		}
		ProblemWriter.write(request, response, status, detail(status));
	}

	static String detail(HttpStatus status) {
		return switch (status) {
			case NOT_FOUND -> "No resource at this path.";
			case METHOD_NOT_ALLOWED -> "This method is not allowed on this path.";
			case REQUEST_HEADER_FIELDS_TOO_LARGE -> "The request headers are too large.";
			case URI_TOO_LONG -> "The request URI is too long.";
			case CONTENT_TOO_LARGE -> "The request body is too large.";
			case BAD_REQUEST -> "The request could not be read (malformed request line, URI or headers).";
			default -> "The request failed: " + status.getReasonPhrase() + ".";
		};
	}

}
