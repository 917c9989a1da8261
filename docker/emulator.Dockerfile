# syntax=docker/dockerfile:1.7
# The Perchance emulator (perchance-emulator): offline demos and tests, never production traffic.
# Build context: the repository root.
#   docker build -f docker/emulator.Dockerfile -t imagegen-emulator .
#   docker run --rm -p 8090:8090 imagegen-emulator

# ---- 1. build ------------------------------------------------------------------------------------
FROM maven:3.9.11-eclipse-temurin-17-noble AS build
WORKDIR /src
COPY pom.xml ./
COPY perchance-emulator/pom.xml perchance-emulator/
COPY api-service/pom.xml api-service/
COPY worker-service/pom.xml worker-service/
COPY system-tests/pom.xml system-tests/
COPY test-support/pom.xml test-support/
COPY perchance-emulator/src perchance-emulator/src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -q -pl perchance-emulator -DskipTests package

# ---- 2. run ----------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre-noble
# curl for the health check; fonts because the emulator draws text into its images.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 imagegen \
    && useradd --system --uid 10001 --gid imagegen --home-dir /app --shell /usr/sbin/nologin imagegen
WORKDIR /app
# The plain JDK HTTP server in a small self-contained jar: no layering needed.
COPY --from=build /src/perchance-emulator/target/perchance-emulator-0.1.0-SNAPSHOT-exec.jar app.jar
USER 10001:10001
ENV PORT=8090 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/__emulator/config" || exit 1
ENTRYPOINT ["java", "-Djava.awt.headless=true", "-jar", "app.jar"]
