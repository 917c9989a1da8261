package dev.imagegen.api.web;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** The exchange of a synchronously answered request must still complete off the caller's stack. */
class AsyncCompletionFilterTests {

	@Test
	void aSynchronousAnswerCompletesOnAnotherThread() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/generate"));
		AtomicReference<Thread> completedOn = new AtomicReference<>();
		new AsyncCompletionFilter().filter(exchange, (ex) -> Mono.empty())
			.doOnSuccess((ignored) -> completedOn.set(Thread.currentThread()))
			.block();
		assertThat(completedOn.get()).isNotNull().isNotSameAs(Thread.currentThread());
		assertThat(completedOn.get().getName()).startsWith("parallel-");
	}

}
