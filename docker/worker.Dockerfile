# syntax=docker/dockerfile:1.7
# The worker (worker-service): Spring MVC + Playwright. Build context: the repository root.
#   docker build -f docker/worker.Dockerfile -t imagegen-worker .
#   docker run --rm --init --shm-size=1g -p 8081:8081 -e WORKER_TOKEN=... imagegen-worker
# The runtime image is Playwright's own, whose browsers (Firefox included: Playwright's patched build)
# match the Java library exactly. Keep its tag equal to the root POM's playwright.version.

# ---- 1. build ------------------------------------------------------------------------------------
FROM maven:3.9.11-eclipse-temurin-17-noble AS build
WORKDIR /src
COPY pom.xml ./
COPY perchance-emulator/pom.xml perchance-emulator/
COPY api-service/pom.xml api-service/
COPY worker-service/pom.xml worker-service/
COPY system-tests/pom.xml system-tests/
COPY test-support/pom.xml test-support/
# The emulator is a (test) dependency of the worker, so the reactor builds it too.
COPY perchance-emulator/src perchance-emulator/src
COPY worker-service/src worker-service/src
# Test-only helpers: -am builds them (the module's tests depend on them; -DskipTests still compiles them).
COPY test-support/src test-support/src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -q -pl worker-service -am -DskipTests package

# ---- 2. layers -------------------------------------------------------------------------------------
FROM mcr.microsoft.com/playwright/java:v1.58.0-noble AS layers
WORKDIR /layers
COPY --from=build /src/worker-service/target/worker-service-0.1.0-SNAPSHOT.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted

# ---- 3. run ----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/playwright/java:v1.58.0-noble
# tini as PID 1: browsers leave short-lived child processes whose zombies must be reaped, and signals
# must reach the JVM. (With `docker run --init` / compose `init: true` Docker's own init does the same.)
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 imagegen \
    && useradd --system --uid 10001 --gid imagegen --create-home --home-dir /home/imagegen --shell /usr/sbin/nologin imagegen \
    && mkdir -p /data/profiles \
    && chown -R 10001:10001 /data
WORKDIR /app
COPY --from=layers /layers/extracted/dependencies/ ./
COPY --from=layers /layers/extracted/spring-boot-loader/ ./
COPY --from=layers /layers/extracted/snapshot-dependencies/ ./
COPY --from=layers /layers/extracted/application/ ./
# PLAYWRIGHT_BROWSERS_PATH: the browsers baked into this image; never download at start-up.
# BROWSER_PROFILE_DIR: persistent profiles (cookies, Cloudflare trust) survive restarts on the volume.
ENV PORT=8081 \
    PLAYWRIGHT_BROWSERS_PATH=/ms-playwright \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    BROWSER_ENGINE=firefox \
    BROWSER_HEADLESS=true \
    BROWSER_PROFILE_DIR=/data/profiles \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
VOLUME ["/data/profiles"]
USER 10001:10001
EXPOSE 8081
# Readiness: a browser session is up and the queue has room. The first start launches the browser
# and may solve a challenge, hence the long start period.
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/readyz" || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "java", "org.springframework.boot.loader.launch.JarLauncher"]
