package dev.imagegen.api.context;

import org.springframework.web.server.ServerWebExchange;

/**
 * Names of the exchange attributes through which the request handling tells the access log and the
 * metrics what happened, without either of them ever seeing the prompt.
 */
public final class RequestContext {

	/** The request id (from a sane {@code X-Request-Id} or generated). */
	public static final String REQUEST_ID = RequestContext.class.getName() + ".requestId";

	/** The base URL of the worker that handled the request. */
	public static final String WORKER = RequestContext.class.getName() + ".worker";

	/** The prompt's length in characters, never the prompt itself. */
	public static final String PROMPT_LENGTH = RequestContext.class.getName() + ".promptLength";

	/** The problem type of a failed request. */
	public static final String PROBLEM_TYPE = RequestContext.class.getName() + ".problemType";

	/** The client's name for the access log: an API key's name or {@code anonymous}; never a key. */
	public static final String CLIENT = RequestContext.class.getName() + ".client";

	/** The header that carries the request id in both directions. */
	public static final String REQUEST_ID_HEADER = "X-Request-Id";

	private RequestContext() {
	}

	/**
	 * The id of the request being handled.
	 * @param exchange the exchange
	 * @return the id, or {@code "-"} when the request bypassed the filter that assigns it
	 */
	public static String requestId(ServerWebExchange exchange) {
		String id = exchange.getAttribute(REQUEST_ID);
		return (id != null) ? id : "-";
	}

}
