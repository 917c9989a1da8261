package dev.imagegen.api.worker;

/**
 * One progress event a worker reports for a generation it holds (docs/worker-api.md, {@code GET /progress/{requestId}}).
 *
 * @param phase {@code queued}, {@code starting}, {@code generating}, {@code downloading}, {@code done} or
 * {@code failed}
 * @param queuePosition jobs ahead of this one in the worker's queue while queued ({@code 0} = next), else {@code null}
 * @param upstreamQueuePosition the upstream's own queue position while generating, when known, else {@code null}
 */
public record WorkerProgress(String phase, Integer queuePosition, Integer upstreamQueuePosition) {
}
