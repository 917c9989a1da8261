package dev.imagegen.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/**
 * A local stand-in for Perchance's text-to-image service (image API, {@code /embed} page and site
 * pages on one server) that answers as {@code docs/perchance-protocol.md} describes the real one, plus a
 * control API under {@code /__emulator/} for tests. Start it in-JVM with
 * {@link #start(int)} or run it standalone with {@link #main(String[])}.
 */
public final class PerchanceEmulator implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PerchanceEmulator.class.getName());

    static {
        // The JDK server writes headers and body in separate packets; with Nagle's algorithm and the
        // client's delayed ACK every small answer would then cost ~40 ms. Read once, when the server
        // classes first load, so it must be set before the first HttpServer is created in this JVM.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;

    private final ExecutorService executor;

    private final String baseUrl;

    private PerchanceEmulator(HttpServer server, ExecutorService executor, String baseUrl) {
        this.server = server;
        this.executor = executor;
        this.baseUrl = baseUrl;
    }

    /**
     * Starts an emulator on the loopback interface.
     *
     * @param port the port, or 0 for a free one
     * @return the running emulator; close it when done
     */
    public static PerchanceEmulator start(int port) {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), false);
    }

    private static PerchanceEmulator start(InetSocketAddress address, boolean logToConsole) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 128);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("cannot bind the emulator to " + address, ex);
        }
        // Unbounded on purpose: held generate calls and long polls park a thread each and must never
        // keep another request waiting.
        ExecutorService executor = Executors.newCachedThreadPool(daemonThreads());
        server.setExecutor(executor);
        server.createContext("/", new EmulatorHandler(new EmulatorState(), logToConsole));
        server.start();
        int port = server.getAddress().getPort();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return new PerchanceEmulator(server, executor, "http://" + host + ":" + port);
    }

    /**
     * Runs the emulator until the process is stopped: port from env {@code PORT} (default 8090), all interfaces.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        String portEnv = System.getenv("PORT");
        int port = portEnv == null || portEnv.isBlank() ? 8090 : Integer.parseInt(portEnv.trim());
        PerchanceEmulator emulator = start(new InetSocketAddress(port), true);
        Runtime.getRuntime().addShutdownHook(new Thread(emulator::close, "perchance-emulator-shutdown"));
        LOG.log(System.Logger.Level.INFO, "Perchance emulator listening on http://0.0.0.0:" + emulator.port()
                + " (control API under /__emulator/)");
    }

    /** @return the port the emulator listens on */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return e.g. {@code http://127.0.0.1:41234}, without a trailing slash */
    public String baseUrl() {
        return baseUrl;
    }

    /** Stops listening and ends held requests at once. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "perchance-emulator-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
