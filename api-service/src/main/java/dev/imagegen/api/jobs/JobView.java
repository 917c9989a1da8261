package dev.imagegen.api.jobs;

import java.util.Map;

import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.problem.ApiProblem;

/**
 * A job as any replica reads it: what {@code GET /jobs/{id}} shows, and what its image route needs to answer.
 * On one box it comes from the {@link Job} itself; in the Redis mode from the job's hash, on whichever replica.
 *
 * @param id the job's id
 * @param status its status
 * @param json the job's JSON (docs/api.md, "Jobs"), fields in their documented order
 * @param request the request as the client made it (its seed may be random)
 * @param error the problem of a failed job (with its {@code Retry-After}), else {@code null}
 * @param version the state's version: later states have larger ones
 */
record JobView(String id, JobStatus status, Map<String, Object> json, GenerateRequest request, ApiProblem error,
		long version) {

	/** @return whether the job has ended */
	boolean terminal() {
		return this.status.terminal();
	}

}
