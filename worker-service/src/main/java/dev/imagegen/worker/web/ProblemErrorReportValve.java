package dev.imagegen.worker.web;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

import org.springframework.http.HttpStatus;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.ProblemWriter;
import dev.imagegen.worker.request.RequestIdFilter;

/**
 * Tomcat's error report for what it answers itself, before the application runs: a URL with an encoded
 * slash or NUL ({@code /generate%2f}, {@code /generate%00}), broken percent-encoding, and similar rejections.
 * Instead of Tomcat's HTML page it writes problem+json with {@code about:blank} and {@code nosniff}. Requests
 * Tomcat cannot parse at all (a malformed request line, headers over the size limit) are closed by the
 * connector with a bare status and no body; docs/worker-api.md lists them.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int code = response.getStatus();
		if (code < 400 || response.getContentWritten() > 0) {
			return;
		}
		AtomicBoolean ioAllowed = new AtomicBoolean(true);
		response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
		if (!ioAllowed.get()) {
			return;
		}
		HttpStatus status = HttpStatus.resolve(code);
		String instance = (request.getCoyoteRequest() != null) ? request.getCoyoteRequest().requestURI().toString() : null;
		String requestId = RequestIdFilter.idFrom(request.getHeader(RequestIdFilter.HEADER));
		Map<String, Object> body = (status == null || status.is5xxServerError())
				? ProblemWriter.body(Problem.INTERNAL_ERROR.type().toString(), Problem.INTERNAL_ERROR.title(), code,
						"The worker failed unexpectedly; see its log.", instance, requestId)
				: ProblemWriter.body(ProblemWriter.ABOUT_BLANK, status.getReasonPhrase(), code,
						ProblemErrorController.detail(status), instance, requestId);
		try {
			response.setContentType("application/problem+json");
			response.setCharacterEncoding(StandardCharsets.UTF_8.name());
			response.setHeader(SecurityHeadersFilter.NOSNIFF, "nosniff");
			response.setHeader(RequestIdFilter.HEADER, requestId);
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write(new String(ProblemWriter.json(body), StandardCharsets.UTF_8));
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client has gone or the response was committed meanwhile: nothing more can be sent.
		}
	}

}
