package dev.imagegen.api.cache;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The direct memory the JDK counts, for tests of when kept images are freed.
 */
public final class DirectMemory {

	private DirectMemory() {
	}

	/**
	 * The direct memory freed while the action runs: measured around it alone, so that buffers the collector frees
	 * at other times (of other tests) do not blur it.
	 * @param action what should free memory
	 * @return the bytes freed
	 */
	public static long freedBy(Runnable action) {
		long before = used();
		action.run();
		return before - used();
	}

	/** @return the direct memory allocated now */
	public static long used() {
		return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
			.stream()
			.filter((pool) -> pool.getName().equals("direct"))
			.findFirst()
			.orElseThrow()
			.getMemoryUsed();
	}

}
