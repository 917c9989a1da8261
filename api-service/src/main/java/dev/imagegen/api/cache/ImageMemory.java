package dev.imagegen.api.cache;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The one budget of direct memory that every image the API keeps shares: the image cache's, the OpenAI URL
 * store's and the retained jobs' (see {@link StoredImage}).
 * <p>
 * Direct memory is not the images' alone. Reactor Netty reads every request and every worker answer into direct
 * buffers taken from the same {@code -XX:MaxDirectMemorySize}; when kept images had filled it (about 750 retained
 * jobs of 450 KB with run.sh's 320 MB), every worker answer after that failed to be read, and the API answered
 * {@code 502} to everyone for the jobs' hour of retention. So kept images stay below the limit by a headroom left
 * for Netty ({@link #HEADROOM_FRACTION} of it, at least {@link #MIN_HEADROOM}), counted by what each holder holds
 * now. Images a holder dropped are freed as soon as no answer still writes them ({@link StoredImage}: counted
 * references), so they need no place in the budget.
 * <p>
 * Holders that promise to keep an image (a URL for its hour, a job for its retention) come first: when the budget
 * is short, the cache, which may drop anything at any time, gives way ({@link Yielding#shrinkTo}) and uses only what
 * the others leave ({@link #roomForCache()}). Shared images (the cache's image that a job also keeps) count once per
 * holder, so the estimate errs on the safe side.
 */
public final class ImageMemory {

	/** The part of direct memory left to Netty's buffers, as a fraction of the limit. */
	static final double HEADROOM_FRACTION = 0.2;

	/** The least headroom left to Netty's buffers. */
	static final long MIN_HEADROOM = 64L * 1024 * 1024;

	private final long budget;

	private final List<LongSupplier> holders = new CopyOnWriteArrayList<>();

	private volatile Yielding cache;

	/**
	 * A budget of the given size.
	 * @param budget the bytes all kept images may take together
	 */
	public ImageMemory(long budget) {
		this.budget = budget;
	}

	/**
	 * The budget this JVM allows: its direct memory limit less Netty's headroom.
	 * @param meters where the budget and the bytes held are reported
	 * @return the budget
	 */
	static ImageMemory forThisJvm(MeterRegistry meters) {
		ImageMemory memory = new ImageMemory(budgetFor(maxDirectMemory()));
		Gauge.builder("imagegen.image.memory.budget.bytes", memory, ImageMemory::budget)
			.description("Direct memory the kept images (cache, OpenAI URLs, retained jobs) may take together")
			.baseUnit("bytes")
			.register(meters);
		Gauge.builder("imagegen.image.memory.held.bytes", memory, ImageMemory::held)
			.description("Direct memory the kept images take now, counted once per holder")
			.baseUnit("bytes")
			.register(meters);
		return memory;
	}

	/**
	 * @param maxDirectMemory the JVM's direct memory limit
	 * @return what kept images may take of it
	 */
	static long budgetFor(long maxDirectMemory) {
		long headroom = Math.max(MIN_HEADROOM, (long) (maxDirectMemory * HEADROOM_FRACTION));
		return Math.max(0, maxDirectMemory - headroom);
	}

	/** {@code -XX:MaxDirectMemorySize}, or the heap's maximum when it is not set (the JDK's own default). */
	private static long maxDirectMemory() {
		String value = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
			.getVMOption("MaxDirectMemorySize")
			.getValue();
		long max = Long.parseLong(value);
		return (max > 0) ? max : Runtime.getRuntime().maxMemory();
	}

	/**
	 * Counts a holder's images against the budget.
	 * @param heldBytes what it holds now; called on every keep, so it must be cheap
	 */
	public void register(LongSupplier heldBytes) {
		this.holders.add(heldBytes);
	}

	/**
	 * Counts the image cache against the budget, as the holder that gives way to the others.
	 * @param cache the cache
	 */
	void registerCache(Yielding cache) {
		this.cache = cache;
	}

	/**
	 * Keeps an image in direct memory for a holder that must keep it, making the cache give way if needed.
	 * @param image the image, on the heap or already off it (then the bytes are shared, not copied)
	 * @return a reference of the holder's own to the image off-heap, to be released when the holder drops it
	 * @throws NoImageMemory when the other holders' images leave no room for it, or direct memory is exhausted
	 */
	public StoredImage keep(StoredImage image) {
		if (image.isKept()) {
			// Already kept (the cache's bytes): sharing them takes no more memory, so it is never refused.
			return image.offHeap();
		}
		// A fresh image (on the heap, or off it as a worker's answer is read, which the cache did not keep): the
		// holder's keeping it takes room in the budget.
		long others = othersHeld();
		if (others + image.size() > this.budget) {
			throw new NoImageMemory();
		}
		Yielding yielding = this.cache;
		if (yielding != null && yielding.heldBytes() + others + image.size() > this.budget) {
			yielding.shrinkTo(this.budget - others - image.size());
		}
		try {
			return image.offHeap();
		}
		catch (OutOfMemoryError ex) {
			throw new NoImageMemory();
		}
	}

	/** @return what the cache may hold: the budget less what the other holders hold now */
	long roomForCache() {
		return Math.max(0, this.budget - othersHeld());
	}

	/** @return the bytes all kept images may take together */
	public long budget() {
		return this.budget;
	}

	/** @return the bytes held now by all holders, the cache included */
	long held() {
		Yielding yielding = this.cache;
		return othersHeld() + ((yielding != null) ? yielding.heldBytes() : 0);
	}

	private long othersHeld() {
		long held = 0;
		for (LongSupplier holder : this.holders) {
			held += holder.getAsLong();
		}
		return held;
	}

	/** A holder that can drop images when the others need the room: the image cache. */
	interface Yielding {

		/** @return the bytes it holds now */
		long heldBytes();

		/**
		 * Drops images (least recently used first) until it holds at most this much.
		 * @param bytes what it may hold
		 */
		void shrinkTo(long bytes);

	}

	/** No room in the images' budget, or in direct memory, for an image that was to be kept. */
	public static final class NoImageMemory extends RuntimeException {

		NoImageMemory() {
			super("No direct memory left for kept images", null, false, false);
		}

	}

}
