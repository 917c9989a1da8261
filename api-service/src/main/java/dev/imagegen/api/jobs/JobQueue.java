package dev.imagegen.api.jobs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

import dev.imagegen.api.cache.StoredImage;

/**
 * The API's own first-in-first-out queue of jobs: at most {@code maxRunning} jobs are with workers at once; the
 * others wait here, each told how many jobs are ahead of it. A job cancelled while waiting leaves the queue and
 * never reaches a worker.
 */
final class JobQueue {

	private final int maxRunning;

	private final LinkedHashSet<Ticket> waiting = new LinkedHashSet<>();

	private int running;

	JobQueue(int maxRunning) {
		this.maxRunning = maxRunning;
	}

	/**
	 * Runs a job's worker call when its turn comes.
	 * @param job the job, told its position and when it is dispatched
	 * @param work the worker call
	 * @return the call's outcome; cancelling it while waiting withdraws the job
	 */
	Mono<StoredImage> run(Job job, Supplier<Mono<StoredImage>> work) {
		return Mono.defer(() -> {
			Ticket ticket = new Ticket(job);
			return Mono.<Void>create((sink) -> enter(ticket, sink)).then(Mono.defer(() -> {
				job.dispatched();
				return work.get();
			})).doFinally((signal) -> leave(ticket));
		});
	}

	/**
	 * Jobs waiting for their turn.
	 * @return the count
	 */
	synchronized int waiting() {
		return this.waiting.size();
	}

	private void enter(Ticket ticket, MonoSink<Void> sink) {
		boolean now;
		synchronized (this) {
			if (ticket.left) {
				// Cancelled while subscribing: Mono.create calls this after the cancel's doFinally has left, so a
				// slot taken now would never be given back.
				return;
			}
			ticket.sink = sink;
			now = this.running < this.maxRunning && this.waiting.isEmpty();
			if (now) {
				this.running++;
				ticket.granted = true;
			}
			else {
				this.waiting.add(ticket);
				ticket.job.waiting(this.waiting.size() - 1);
			}
		}
		if (now) {
			sink.success();
		}
	}

	private void leave(Ticket ticket) {
		List<Ticket> granted = new ArrayList<>();
		synchronized (this) {
			if (ticket.left) {
				return;
			}
			ticket.left = true;
			if (ticket.granted) {
				this.running--;
			}
			else {
				this.waiting.remove(ticket);
			}
			while (this.running < this.maxRunning && !this.waiting.isEmpty()) {
				Ticket next = this.waiting.iterator().next();
				this.waiting.remove(next);
				next.granted = true;
				this.running++;
				granted.add(next);
			}
			int position = 0;
			for (Ticket behind : this.waiting) {
				behind.job.waiting(position++);
			}
		}
		// Outside the lock: a granted job starts its worker call right here.
		granted.forEach((next) -> next.sink.success());
	}

	/** One job's place in the queue. Guarded by the queue's lock. */
	private static final class Ticket {

		private final Job job;

		private MonoSink<Void> sink;

		private boolean granted;

		private boolean left;

		Ticket(Job job) {
			this.job = job;
		}

	}

}
