# syntax=docker/dockerfile:1.7
# The public API (api-service). Build context: the repository root.
#   docker build -f docker/api.Dockerfile -t imagegen-api .
#   docker run --rm -p 8080:8080 -e PERCHANCE_WORKER_URL=http://worker:8081 -e WORKER_TOKEN=... imagegen-api

# ---- 1. build: package only the API (and what it needs from the reactor) -----------------------
FROM maven:3.9.11-eclipse-temurin-17-noble AS build
WORKDIR /src
# Every module's POM: Maven reads the whole reactor even when one module is built.
COPY pom.xml ./
COPY perchance-emulator/pom.xml perchance-emulator/
COPY api-service/pom.xml api-service/
COPY worker-service/pom.xml worker-service/
COPY system-tests/pom.xml system-tests/
COPY test-support/pom.xml test-support/
COPY api-service/src api-service/src
# Test-only helpers: -am builds them (the module's tests depend on them; -DskipTests still compiles them).
COPY test-support/src test-support/src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -q -pl api-service -am -DskipTests package

# ---- 2. layers: split the Spring Boot jar so that dependencies and code are separate image layers ----
FROM eclipse-temurin:17-jre-noble AS layers
WORKDIR /layers
COPY --from=build /src/api-service/target/api-service-0.1.0-SNAPSHOT.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted

# ---- 3. run: a pinned JRE, a non-root user, the layers from the least to the most often changed ----
FROM eclipse-temurin:17-jre-noble
# curl for the health check (the JRE image does not promise one); fonts for the PNG error images.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 imagegen \
    && useradd --system --uid 10001 --gid imagegen --home-dir /app --shell /usr/sbin/nologin imagegen
WORKDIR /app
COPY --from=layers /layers/extracted/dependencies/ ./
COPY --from=layers /layers/extracted/spring-boot-loader/ ./
COPY --from=layers /layers/extracted/snapshot-dependencies/ ./
COPY --from=layers /layers/extracted/application/ ./
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
# The same JVM sizing as run.sh (docs/benchmarks.md, "JVM settings"), explicit rather than a percentage of the
# container's limit: most of the API's memory is off-heap (kept images in direct buffers, bounded by
# MaxDirectMemorySize, whose kept images take at most four fifths, Netty's buffers the rest; metaspace; code), so a
# 75 % heap would overrun the limit. Survivor spaces hold the images of requests in flight (SurvivorRatio=2), so that
# they are not promoted and do not grow the old generation; the C heap is trimmed every 5 s and kept to two malloc arenas, so that freed native memory leaves the RSS. The JVM still sees the
# container's CPU count (container support is on by default). RSS: about 230 MiB plus the kept images, at most
# MaxDirectMemorySize (docs/benchmarks.md).
ENV PORT=8080 \
    MALLOC_ARENA_MAX=2 \
    JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -Xms32m -Xmx128m -XX:SurvivorRatio=2 -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=320m -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8080
# Readiness, not liveness: "healthy" means "can take traffic now" to compose's depends_on.
HEALTHCHECK --interval=15s --timeout=3s --start-period=40s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/readyz" || exit 1
# exec form: the JVM is PID 1 and receives SIGTERM directly, so Spring's graceful shutdown runs.
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
